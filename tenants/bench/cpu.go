package bench

import (
	"fmt"

	"github.com/prometheus/procfs"
)

// CPU is a reading of the CPU time used so far, in seconds of one core, by
// the server, by PostgreSQL (every process called postgres: the
// postmaster, its backends and its workers) and by this process (the load
// driver), and by the whole machine, read from Linux's /proc through
// prometheus/procfs (proc(5): /proc/PID/stat utime and stime, /proc/stat).
// Two readings around a load give the split of the machine between them
// (Split). Where /proc cannot be read every figure is 0.
type CPU struct {
	Server, Postgres, Driver float64
	// Busy is the machine's time not idle or waiting for I/O, All its whole
	// time, both summed over its cores.
	Busy, All float64
	// Cores is the number of cores /proc/stat lists.
	Cores int
}

// ReadCPU reads the CPU times now; server is the server process's id (0:
// no server).
func ReadCPU(server int) CPU {
	var c CPU
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return c
	}
	if server > 0 {
		if p, err := fs.Proc(server); err == nil {
			c.Server = processCPU(p)
		}
	}
	if p, err := fs.Self(); err == nil {
		c.Driver = processCPU(p)
	}
	if procs, err := fs.AllProcs(); err == nil {
		for _, p := range procs {
			if comm, err := p.Comm(); err == nil && comm == "postgres" {
				c.Postgres += processCPU(p)
			}
		}
	}
	if st, err := fs.Stat(); err == nil {
		t := st.CPUTotal // guest time is already in user and nice
		c.All = t.User + t.Nice + t.System + t.Idle + t.Iowait + t.IRQ + t.SoftIRQ + t.Steal
		c.Busy = c.All - t.Idle - t.Iowait
		c.Cores = len(st.CPU)
	}
	return c
}

// ProcessCPU is the user and system time the process pid used so far, in
// seconds; 0 when it cannot be read (gone, or no /proc).
func ProcessCPU(pid int) float64 {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0
	}
	return processCPU(p)
}

// processCPU is the user and system time of p, 0 when it cannot be read
// (the process is gone).
func processCPU(p procfs.Proc) float64 {
	st, err := p.Stat()
	if err != nil {
		return 0
	}
	return st.CPUTime()
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
