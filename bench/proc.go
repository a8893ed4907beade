package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine describes where the figures were taken.
type Machine struct {
	NumCPU    int    `json:"nproc"`
	CPUModel  string `json:"cpuModel"`
	GoVersion string `json:"goVersion"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	Kernel    string `json:"kernel"`
	MemTotal  string `json:"memTotal"`
}

func machine(goVersion string) Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GoVersion: goVersion, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if kb, err := procStatusKB(os.Getpid(), "MemTotal"); err == nil && kb > 0 {
		m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	return m
}

// procStatusKB reads a "Key: N kB" line of /proc/PID/status (or of
// /proc/meminfo for MemTotal).
func procStatusKB(pid int, key string) (int64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	if key == "MemTotal" {
		path = "/proc/meminfo"
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			fields := strings.Fields(v)
			if len(fields) == 0 {
				break
			}
			return strconv.ParseInt(fields[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, key)
}

// Mem is a reading of a process's resident memory, in MiB: VmRSS and its
// anonymous and file-backed parts (the latter is the binary's and shared
// libraries' pages, shared with the page cache).
type Mem struct {
	RSS  float64 `json:"vmRSSMiB"`
	Anon float64 `json:"rssAnonMiB"`
	File float64 `json:"rssFileMiB"`
}

func memOf(pid int) (Mem, error) {
	var m Mem
	for _, f := range []struct {
		key string
		dst *float64
	}{{"VmRSS", &m.RSS}, {"RssAnon", &m.Anon}, {"RssFile", &m.File}} {
		kb, err := procStatusKB(pid, f.key)
		if err != nil {
			return m, err
		}
		*f.dst = round2(float64(kb) / 1024)
	}
	return m, nil
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// clockTick is USER_HZ: /proc/PID/stat counts CPU time in these.
var clockTick = func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil && v > 0 {
			return v
		}
	}
	return 100
}()

// cpuTime is utime+stime of pid from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	// After "pid (comm)": state is field 3, utime 14, stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	return time.Duration(float64(ut+st) / clockTick * float64(time.Second)), nil
}

// selfCPU is the bench process's own CPU time (client and upstream).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module: run the bench from the alfe-mcp repository (or pass -bin FILE -floor=false)")
	}
	return filepath.Dir(mod), nil
}

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

// build compiles package pkg of the module at root to dir/name as a release
// is built (README): static, stripped, without local paths; with tags, if
// any.
func build(root, pkg, dir, name string, tags ...string) (string, error) {
	bin := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"build", "-trimpath", "-ldflags", "-s -w", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}
