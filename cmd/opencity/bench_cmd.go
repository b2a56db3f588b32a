package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
)

const benchUsage = `Usage:
  opencity bench generate   provision a city and generate its request history (PostgreSQL or SQLite)
  opencity bench load       drive one scenario at a running server: -url -slug -scenario intake|queue|desk|request|search|info -c -rate -duration
  opencity bench run        every scenario beside its same-run baseline (needs DATABASE_URL; --only hq,… for some groups); saves deploy/bench/results.json
  opencity bench report     print the saved results as Markdown; --write-readme puts them into README.md
`

// benchCmd is `opencity bench`: the history generator, the load driver and
// the performance budget's results table.
func benchCmd(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, benchUsage)
		return errors.New("bench: say generate, load, run or report")
	}
	switch args[0] {
	case "generate":
		return benchGenerate(ctx, cfg, args[1:], out)
	case "load":
		return benchLoad(ctx, args[1:], out)
	case "run":
		return benchRun(ctx, cfg, args[1:], out)
	case "report":
		return benchReport(args[1:], out)
	}
	fmt.Fprint(out, benchUsage)
	return fmt.Errorf("bench: unknown command %q", args[0])
}

// historyFlags are the generator's options, shared by generate and run.
type historyFlags struct {
	slug, password string
	requests       int
	years          int
	buildings      int
	seed           uint64
}

func (h *historyFlags) register(fs interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
	Uint64Var(*uint64, string, uint64, string)
}) {
	fs.StringVar(&h.slug, "slug", "bench", "the city to generate into (provisioned when missing)")
	fs.StringVar(&h.password, "password", "bench", "password of the generated accounts ("+bench.DispatcherLogin+", …)")
	fs.IntVar(&h.requests, "requests", 2_000_000, "requests in the history")
	fs.IntVar(&h.years, "years", 7, "years the history spans, up to today")
	fs.IntVar(&h.buildings, "buildings", 5000, "buildings in the registry")
	fs.Uint64Var(&h.seed, "seed", 2011, "the same seed gives the same history")
}

// generate prepares the city and fills its history unless it has one.
func (h *historyFlags) generate(ctx context.Context, b *tenants.Backend, out io.Writer) error {
	switch {
	case h.requests < 1 || h.requests > 50_000_000:
		return errors.New("bench: --requests must be from 1 to 50,000,000")
	case h.years < 1 || h.years > 30:
		return errors.New("bench: --years must be from 1 to 30")
	case h.buildings < 1 || h.buildings > 200_000:
		return errors.New("bench: --buildings must be from 1 to 200,000")
	case !tenants.ValidSlug(h.slug):
		return fmt.Errorf("bench: %w", tenants.ErrInvalidSlug)
	}
	loc, err := bench.PrepareCity(ctx, b, h.slug, h.buildings, h.password)
	if err != nil {
		return err
	}
	hist := bench.History{Requests: h.requests, Years: h.years, Buildings: h.buildings, Seed: h.seed}.Defaults(loc)
	fmt.Fprintf(out, "generating %d requests over %d years into %s …\n", hist.Requests, hist.Years, h.slug)
	last := time.Now()
	st, err := bench.Fill(ctx, b, h.slug, hist, func(done, total int) {
		if time.Since(last) > 5*time.Second || done == total {
			fmt.Fprintf(out, "  %d/%d requests\n", done, total)
			last = time.Now()
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "generated %d requests with %d history events in %s (%.0f requests/s)\n",
		st.Requests, st.Events, st.Took.Round(time.Second), float64(st.Requests)/st.Took.Seconds())
	return nil
}

func benchGenerate(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	fs := newFlags("bench generate [flags]", "Provisions the city when missing, seeds a directory at Open Kazan's scale and\n"+
		"generates its request history: 2 million requests over seven years by default.", out)
	var h historyFlags
	h.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := tenants.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer b.Close()
	return h.generate(ctx, b, out)
}

func benchLoad(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("bench load [flags]", "Drives one scenario at a running server and prints throughput and latency percentiles.", out)
	url := fs.String("url", "http://127.0.0.1:8080", "the server")
	slug := fs.String("slug", "bench", "the city")
	login := fs.String("login", bench.DispatcherLogin, "the account to log in with")
	password := fs.String("password", "bench", "its password")
	scenario := fs.String("scenario", "intake", "intake, queue, desk, request, search or info (the city's info: no database, the floor to compare with)")
	c := fs.Int("c", 4, "concurrent workers")
	rate := fs.Float64("rate", 0, "operations a second in total (0: as fast as the workers go)")
	d := fs.Duration("duration", 10*time.Second, "how long to drive")
	buildings := fs.Int("buildings", 5000, "intake: building ids 1…N to name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cl, err := bench.NewClient(ctx, *url, *slug, *login, *password)
	if err != nil {
		return err
	}
	var op func(context.Context, int) error
	switch *scenario {
	case "intake":
		ids := make([]int64, *buildings)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		op = cl.Intake(ids)
	case "queue":
		if op, err = cl.Queue(ctx); err != nil {
			return err
		}
	case "desk":
		if op, err = cl.Desk(ctx); err != nil {
			return err
		}
	case "info":
		op = func(ctx context.Context, i int) error { return cl.Do(ctx, "GET", "", nil, nil, 200) }
	case "request":
		var page struct {
			Items []struct {
				Number string `json:"number"`
			} `json:"items"`
		}
		if err := cl.Do(ctx, "GET", "/requests?limit=100", nil, &page, 200); err != nil {
			return err
		}
		var numbers []string
		for _, it := range page.Items {
			numbers = append(numbers, it.Number)
		}
		if len(numbers) == 0 {
			return errors.New("the city has no requests to read")
		}
		op = cl.RequestPage(numbers)
	case "search":
		var page struct {
			Items []struct {
				Number      string `json:"number"`
				Address     string `json:"address"`
				Description string `json:"description"`
				Applicant   *struct {
					Name  string `json:"name"`
					Phone string `json:"phone"`
				} `json:"applicant"`
			} `json:"items"`
		}
		if err := cl.Do(ctx, "GET", "/requests?limit=100", nil, &page, 200); err != nil {
			return err
		}
		var sample []bench.SearchSample
		for _, it := range page.Items {
			x := bench.SearchSample{Number: it.Number, Address: it.Address, Description: it.Description}
			if it.Applicant != nil {
				x.Name, x.Phone = it.Applicant.Name, it.Applicant.Phone
			}
			sample = append(sample, x)
		}
		if len(sample) == 0 {
			return errors.New("the city has no requests to find")
		}
		op = cl.Search(bench.SearchTexts(sample))
	default:
		return fmt.Errorf("unknown scenario %q: intake, queue, desk, request, search or info", *scenario)
	}
	r := bench.Load{Concurrency: *c, Rate: *rate, Duration: *d, Op: op}.Run(ctx)
	fmt.Fprintf(out, "%s: %s\n", *scenario, r)
	return nil
}

func benchReport(args []string, out io.Writer) error {
	fs := newFlags("bench report [--in deploy/bench/results.json] [--write-readme] [--readme README.md]",
		"Prints the results of the last bench run as Markdown, or writes them between\n"+
			bench.ReadmeStart+" and "+bench.ReadmeEnd+" in the README.", out)
	in := fs.String("in", "deploy/bench/results.json", "results saved by bench run")
	write := fs.Bool("write-readme", false, "replace the README's results section")
	readme := fs.String("readme", "README.md", "the README to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := bench.LoadReport(*in)
	if err != nil {
		return err
	}
	md := r.Markdown()
	if !*write {
		fmt.Fprint(out, md)
		return nil
	}
	doc, err := os.ReadFile(*readme)
	if err != nil {
		return err
	}
	doc, err = bench.ReplaceSection(doc, md)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*readme, doc, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote the results of %s into %s\n", r.Date.UTC().Format(time.RFC3339), *readme)
	return nil
}
