package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Loopback is the n-th address of 127.0.0.0/8 from 127.1.0.0 on (n below
// 16 million): Linux answers every one of them, so a load driver can log
// each person in from an address of their own, as the server's per-address
// limits (ratelimit.Rules) expect of real people.
func Loopback(n int) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, 0x7f010000+uint32(n))
	return ip
}

// From is a keep-alive transport whose connections leave from ip.
func From(ip net.IP) *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConns: 16, MaxIdleConnsPerHost: 16}
}

// Post sends a page's form to path (below the city) with the session's
// CSRF token, taken from the form page at path the first time, and returns
// where the answer 303 sends the browser; another answer is an error.
func (c *PageClient) Post(ctx context.Context, path string, form url.Values) (string, error) {
	if c.csrf == "" {
		page, err := c.Get(ctx, path)
		if err != nil {
			return "", err
		}
		m := csrfField.FindSubmatch(page)
		if m == nil {
			return "", fmt.Errorf("the page %s has no CSRF token", path)
		}
		c.csrf = string(m[1])
	}
	form.Set("csrf_token", c.csrf)
	req, err := http.NewRequestWithContext(ctx, "POST", c.City+path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusSeeOther {
		return "", &StatusError{Method: "POST", Path: path, Status: resp.StatusCode, Body: pageText(body)}
	}
	return resp.Header.Get("Location"), nil
}

// pageText is the start of a page's visible error message: the text of its
// first element with class "error" or "alert", else its first 300 bytes.
func pageText(body []byte) string {
	for _, mark := range [][]byte{[]byte(`class="error`), []byte(`class="alert`), []byte(`role="alert"`)} {
		if i := bytes.Index(body, mark); i >= 0 {
			if j := bytes.IndexByte(body[i:], '>'); j >= 0 {
				rest := body[i+j+1:]
				if k := bytes.IndexByte(rest, '<'); k >= 0 {
					rest = rest[:k]
				}
				return string(bytes.TrimSpace(rest[:min(len(rest), 300)]))
			}
		}
	}
	return string(bytes.TrimSpace(body[:min(len(body), 300)]))
}

// Open311 calls the city's Open311 GeoReport v2 endpoint in JSON with the
// client's token as api_key: a POST sends form, a GET sends it as the
// query. The answer's JSON is decoded into out; any answer but 200 and
// 201 is an error.
func (c *Client) Open311(ctx context.Context, method, resource string, form url.Values, out any) error {
	form.Set("api_key", c.Token)
	u := strings.TrimSuffix(c.API, "/api/v1") + "/open311/v2/" + resource + ".json"
	var rd io.Reader
	if method == http.MethodPost {
		rd = strings.NewReader(form.Encode())
	} else {
		u += "?" + form.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return &StatusError{Method: method, Path: "/open311/v2/" + resource + ".json", Status: resp.StatusCode, Body: string(bytes.TrimSpace(msg))}
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
