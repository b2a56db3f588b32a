package host_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/opencity/opencity/plugins/host"
	"github.com/opencity/opencity/tenants"
)

// helperEnv makes the test binary act as a server that starts a plugin,
// prints its pid and waits to be killed.
const helperEnv = "OPENCITY_TEST_HOST_HELPER"

func runHostHelper() {
	bin := os.Getenv(helperEnv)
	sum, err := tenants.FileSHA256(bin)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	h := host.New(host.Options{Catalog: host.CatalogFunc(func(context.Context, string) (host.Entry, error) {
		return host.Entry{Name: "kazan", Version: "1.0.0", Path: bin, SHA256: sum}, nil
	})})
	if err := h.Prepare(context.Background(), kazanRef); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(h.Pid(kazanRef))
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestPluginIsNotLeftBehindWhenTheServerDies(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+buildPlugin(t, "plugins/cities/kazan"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("helper: %v", err)
	}
	pid, err := strconv.Atoi(line[:len(line)-1])
	if err != nil || pid <= 0 {
		cmd.Process.Kill()
		t.Fatalf("helper said %q", line)
	}
	if !alive(pid) {
		t.Fatalf("plugin %d is not running under the helper", pid)
	}
	// The server dies without any chance to stop its plugins.
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	waitGone(t, pid)
}

func itoa(n int) string { return strconv.Itoa(n) }
