package bench

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A reading sees this process's own work, the machine's cores and (with
// PostgreSQL running on the machine, as for every test here) its
// processes; the split of two readings names every part.
func TestCPUReadings(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("the CPU split reads Linux's /proc; this is %s", runtime.GOOS)
	}
	a := ReadCPU(os.Getpid())
	if a.Cores < 1 || a.All <= 0 || a.Busy <= 0 || a.Postgres <= 0 {
		t.Fatalf("reading %+v: want cores, machine time and PostgreSQL's time (is PostgreSQL running on this machine?)", a)
	}
	// Work until this process's reading has grown by 0.3 s, however busy
	// the machine; a reading that does not grow fails after 30 s.
	for start := time.Now(); ReadCPU(0).Driver-a.Driver < 0.3 && time.Since(start) < 30*time.Second; {
	}
	b := ReadCPU(os.Getpid())
	if got := b.Driver - a.Driver; got < 0.3 {
		t.Errorf("this process worked for 30 s and its reading grew by %.2f s", got)
	}
	// The two are read one after the other: a clock tick (10 ms) may fall
	// between them.
	if d := b.Server - b.Driver; b.Server <= 0 || d > 0.05 || d < -0.05 {
		t.Errorf("the server given as this process reads %.2f s, the driver %.2f s", b.Server, b.Driver)
	}
	if got := ProcessCPU(os.Getpid()); got < b.Driver {
		t.Errorf("ProcessCPU of this process: %.2f s, below its earlier reading %.2f s", got, b.Driver)
	}
	if ProcessCPU(-1) != 0 {
		t.Error("a process that does not exist has CPU time")
	}
	split := a.Split(b)
	for _, part := range []string{"server ", "PostgreSQL ", "load driver ", "other ", "% busy of "} {
		if !strings.Contains(split, part) {
			t.Errorf("split %q lacks %q", split, part)
		}
	}
	if (CPU{}).Split(CPU{}) != "" {
		t.Error("readings without time give a split")
	}
}

func TestCPUSplitArithmetic(t *testing.T) {
	a := CPU{Cores: 2}
	// 10 s of wall time on 2 cores, 16 s busy: server 8, PostgreSQL 6, driver 1.
	b := CPU{Server: 8, Postgres: 6, Driver: 1, Busy: 16, All: 20, Cores: 2}
	want := "server 0.80 cores (50%), PostgreSQL 0.60 cores (38%), load driver 0.10 cores (6%), other 0.10 cores (6%); machine 80% busy of 2 cores"
	if got := a.Split(b); got != want {
		t.Errorf("split:\n got %s\nwant %s", got, want)
	}
}
