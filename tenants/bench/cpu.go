package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// userHz is the unit of the CPU times in /proc (USER_HZ, 100 on Linux:
// proc(5), "/proc/pid/stat" utime and stime, and "/proc/stat").
const userHz = 100

// CPU is a reading of the CPU time used so far, in seconds of one core, by
// the server, by PostgreSQL (every process called postgres: the
// postmaster, its backends and its workers) and by this process (the load
// driver), and by the whole machine. Two readings around a load give the
// split of the machine between them (Split). Linux only: elsewhere every
// figure is 0.
type CPU struct {
	Server, Postgres, Driver float64
	// Busy is the machine's time not idle or waiting for I/O, All its whole
	// time, both summed over its cores.
	Busy, All float64
	// Cores is the number of cores /proc/stat lists.
	Cores int
}

// ReadCPU reads the CPU times now; server is the server process's id.
func ReadCPU(server int) CPU {
	c := CPU{Server: processCPU(strconv.Itoa(server)), Driver: processCPU("self")}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		if comm, err := os.ReadFile(filepath.Join(d, "comm")); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			c.Postgres += processCPU(filepath.Base(d))
		}
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 5 && f[0] == "cpu":
			// user nice system idle iowait irq softirq steal …
			for i, v := range f[1:] {
				n, _ := strconv.ParseFloat(v, 64)
				c.All += n / userHz
				if i != 3 && i != 4 {
					c.Busy += n / userHz
				}
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			c.Cores++
		}
	}
	return c
}

// processCPU is the user and system time of the process pid ("self" for
// this one), 0 when it cannot be read (gone, or not Linux).
func processCPU(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The command name in parentheses may hold spaces: count from after it.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / userHz
}

// Split renders what the machine did between the readings c and later:
// the cores the server, PostgreSQL, the load driver and everything else
// kept busy on average, each with its share of the machine's busy time,
// and how busy the machine was. "" when the readings hold no time.
func (c CPU) Split(later CPU) string {
	all, busy := later.All-c.All, later.Busy-c.Busy
	if all <= 0 || busy <= 0 || later.Cores == 0 {
		return ""
	}
	wall := all / float64(later.Cores) // seconds between the readings
	server, pg, driver := later.Server-c.Server, later.Postgres-c.Postgres, later.Driver-c.Driver
	other := max(busy-server-pg-driver, 0)
	part := func(name string, s float64) string {
		return fmt.Sprintf("%s %.2f cores (%.0f%%)", name, s/wall, 100*s/busy)
	}
	return fmt.Sprintf("%s, %s, %s, %s; machine %.0f%% busy of %d cores",
		part("server", server), part("PostgreSQL", pg), part("load driver", driver), part("other", other),
		100*busy/all, later.Cores)
}
