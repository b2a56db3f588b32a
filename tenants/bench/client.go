package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Client calls one city's API at a running server as one logged-in user.
type Client struct {
	API   string // e.g. http://127.0.0.1:8080/t/kazan/api/v1
	Token string
	HTTP  *http.Client
}

// NewClient returns a client for the city slug at server base (keep-alive
// connections for concurrent workers), logged in with login and password.
func NewClient(ctx context.Context, base, slug, login, password string) (*Client, error) {
	return NewClientVia(ctx, &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}, base, slug, login, password)
}

// NewClientVia is NewClient whose connections go through rt (e.g. From: a
// transport of another client address).
func NewClientVia(ctx context.Context, rt http.RoundTripper, base, slug, login, password string) (*Client, error) {
	c := &Client{API: strings.TrimRight(base, "/") + "/t/" + url.PathEscape(slug) + "/api/v1",
		HTTP: &http.Client{Timeout: 30 * time.Second, Transport: rt}}
	var tok struct {
		Token string `json:"token"`
	}
	// Logins are rate limited per address (60 a minute by default): a run
	// that logs in to many cities from one address waits as told.
	for attempt := 0; ; attempt++ {
		err := c.Do(ctx, "POST", "/auth/token", map[string]string{"login": login, "password": password}, &tok, http.StatusCreated)
		var limited *TooManyError
		if err == nil {
			break
		}
		if !errors.As(err, &limited) || attempt >= 5 {
			return nil, fmt.Errorf("log in as %s: %w", login, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(limited.RetryAfter):
		}
	}
	c.Token = tok.Token
	return c, nil
}

// TooManyError is an answer 429: the server asks to wait RetryAfter.
type TooManyError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *TooManyError) Error() string { return "429 " + e.Message }

// StatusError is an answer with another status than the one expected;
// Body is its first 300 bytes.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// Do sends a JSON request and decodes the answer into out (when not nil);
// an answer with another status than want is an error.
func (c *Client) Do(ctx context.Context, method, path string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.API+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests && want != http.StatusTooManyRequests {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		wait := time.Second
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
			wait = time.Duration(n) * time.Second
		}
		return &TooManyError{RetryAfter: wait, Message: fmt.Sprintf("%s %s: %s", method, path, bytes.TrimSpace(msg))}
	}
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: string(bytes.TrimSpace(msg))}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Intake submits a call-centre request for one of the buildings per
// operation, with the category mix of the history.
func (c *Client) Intake(buildings []int64) func(ctx context.Context, i int) error {
	total := totalWeight(CategoryMix)
	return func(ctx context.Context, i int) error {
		cat := pick(CategoryMix, (i*7919)%total)
		b := buildings[(i*104729)%len(buildings)]
		body := map[string]any{"category": cat, "building_id": b, "apartment": fmt.Sprint(1 + i%120),
			"description": descriptions[cat][i%len(descriptions[cat])] + fmt.Sprintf(" (load %d)", i),
			"applicant":   map[string]string{"name": "Нагрузочный тест", "phone": "+7 900 000-00-00"}}
		var out struct {
			Number string `json:"number"`
		}
		if err := c.Do(ctx, "POST", "/requests", body, &out, http.StatusCreated); err != nil {
			return err
		}
		if out.Number == "" {
			return fmt.Errorf("intake answered no number")
		}
		return nil
	}
}

// QueueFilters are the queue pages the load asks for, as a dispatcher or an
// analyst would: by status, district and category, with keyset pages.
var QueueFilters = []string{
	"status=assigned,accepted,in_progress",
	"district=vakhitovsky",
	"category=utilities&status=closed",
	"district=kirovsky&category=power-supply",
	"",
	"organization=supplier-water",
	"status=closed&created_from=2024-01-01&created_to=2024-02-01",
}

// Queue reads one 50-row page of the queue per operation: the first page
// of a filter, or a later page through a keyset cursor collected by walking
// up to ten pages of each filter beforehand.
func (c *Client) Queue(ctx context.Context) (func(ctx context.Context, i int) error, error) {
	return c.pageWalk(ctx, "/requests?limit=50", QueueFilters, 10)
}

// pageWalk collects, for each filter, the first page's URL of base and the
// URLs of up to depth pages after it, by following their next_cursor; the
// operation it returns reads one of those pages.
func (c *Client) pageWalk(ctx context.Context, base string, filters []string, depth int) (func(ctx context.Context, i int) error, error) {
	var urls []string
	for _, f := range filters {
		q := base
		if f != "" {
			q += "&" + f
		}
		urls = append(urls, q)
		cursor := ""
		for range depth {
			u := q
			if cursor != "" {
				u += "&cursor=" + url.QueryEscape(cursor)
			}
			var p struct {
				Next string `json:"next_cursor"`
			}
			if err := c.Do(ctx, "GET", u, nil, &p, http.StatusOK); err != nil {
				return nil, err
			}
			if p.Next == "" {
				break
			}
			cursor = p.Next
			urls = append(urls, q+"&cursor="+url.QueryEscape(cursor))
		}
	}
	return func(ctx context.Context, i int) error {
		return c.Do(ctx, "GET", urls[(i*7919)%len(urls)], nil, nil, http.StatusOK)
	}, nil
}

// RequestPage reads one request with its history per operation.
func (c *Client) RequestPage(numbers []string) func(ctx context.Context, i int) error {
	return func(ctx context.Context, i int) error {
		n := numbers[(i*7919)%len(numbers)]
		return c.Do(ctx, "GET", "/requests/"+url.PathEscape(n), nil, nil, http.StatusOK)
	}
}

// Search returns the operation of the search box: GET /requests?q= with
// the texts in turn (a number, a phone written another way, words of an
// address and a description), 50 rows a page.
func (c *Client) Search(texts []string) func(ctx context.Context, i int) error {
	return func(ctx context.Context, i int) error {
		q := texts[(i*7919)%len(texts)]
		return c.Do(ctx, "GET", "/requests?limit=50&q="+url.QueryEscape(q), nil, nil, http.StatusOK)
	}
}

// SearchSample is what the search box is asked about one request.
type SearchSample struct {
	Number, Name, Phone, Address, Description string
}

// addressWords spells the standard abbreviations of an address out, as a
// caller says them ("ул. Баумана, д. 19" → "улица Баумана дом 19").
var addressWords = strings.NewReplacer("ул.", "улица", "д.", "дом", "пр.", "проспект", "пер.", "переулок", "корп.", "корпус", ",", "")

// SearchTexts makes what dispatchers type into the search box from a
// sample of a city's requests: the number; the applicant's phone written
// three ways ("8 (917) 555-01-23", "+7 917 555-01-23", "917 555 01 23");
// the applicant's name when it names one person; the address with its
// abbreviations spelled out; and a word of the description with the
// street's name, in that (reverse) order.
func SearchTexts(sample []SearchSample) []string {
	var out []string
	for _, x := range sample {
		out = append(out, x.Number)
		if p := x.Phone; len(p) == 12 && strings.HasPrefix(p, "+7") {
			out = append(out, "8 ("+p[2:5]+") "+p[5:8]+"-"+p[8:10]+"-"+p[10:], "+7 "+p[2:5]+" "+p[5:8]+"-"+p[8:10]+"-"+p[10:],
				p[2:5]+" "+p[5:8]+" "+p[8:10]+" "+p[10:])
		}
		if strings.ContainsAny(x.Name, "0123456789") || len(strings.Fields(x.Name)) == 1 {
			out = append(out, x.Name)
		}
		if a := strings.Join(strings.Fields(addressWords.Replace(x.Address)), " "); a != "" {
			out = append(out, a)
		}
		street, word := longestWord(x.Address), longestWord(x.Description)
		if street != "" && word != "" {
			out = append(out, word+" "+street)
		}
	}
	return out
}

// longestWord is the longest word of s: the name of a street, the noun of
// a description.
func longestWord(s string) string {
	best := ""
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len([]rune(w)) > len([]rune(best)) {
			best = w
		}
	}
	return best
}
