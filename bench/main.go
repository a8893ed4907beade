// Command bench measures alfe-mcp against the targets of issue 6. It builds
// the stripped binary, starts a loopback test upstream, speaks MCP to the
// server over stdio (raw JSON-RPC lines, legacy handshake) and, when the
// binary has the http command, over streamable HTTP, and prints a table and a
// JSON document of the figures next to their targets.
//
// Next to every figure it prints the same figure for ./bench/baseline, the
// bare mcp-go server doing the same job per call (the reference of issue 13's
// targets, each printed as a ratio or a difference against it), and for
// ./bench/floor, a hand-written minimal server doing the same work: the limit
// of the machine. All three are built and measured in the same run, and the
// figures of issue 13's targets are taken in turn, so that each ratio is
// under the same noise: cold starts alternate, sequential calls go to the
// three servers (and a direct GET of the upstream) in turn, and the
// throughput phase runs each server for a slice in turn (-tp-slices). The
// streamable HTTP calls are taken in turn with stdio calls of the same
// alfe-mcp. The burst, sequential-CPU and RSS phases run on one server at a
// time.
//
//	go run ./bench                       # from the repository root
//	go run ./bench -json bench.json      # also write the JSON
//	go run ./bench -bin ./alfe-mcp       # measure a given binary
//
// Linux only (it reads /proc). Every loop is bounded; every socket is on
// 127.0.0.1.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

// benchKey is the agent API key the benchmark's servers and clients use: a
// key of the length alfe-mcp accepts (apiclient.AssumedMinKeyLength).
const benchKey = "sk_bench_0123456789"

// settings are the flags.
type settings struct {
	Bin         string        `json:"-"`
	Src         string        `json:"-"`
	JSONFile    string        `json:"-"`
	Pprof       string        `json:"-"`
	Floor       bool          `json:"floor"`
	Baseline    bool          `json:"baseline"`
	Items       int           `json:"items"`
	Delay       time.Duration `json:"upstreamDelay"`
	BurstDelay  time.Duration `json:"burstUpstreamDelay"`
	ColdRuns    int           `json:"coldRuns"`
	ListRuns    int           `json:"toolsListRuns"`
	Calls       int           `json:"sequentialCalls"`
	Warmup      int           `json:"warmupCalls"`
	InFlight    int           `json:"inFlight"`
	Bursts      int           `json:"bursts"`
	TPDuration  time.Duration `json:"throughputDuration"`
	TPCalls     int           `json:"throughputMaxCalls"`
	TPSlices    int           `json:"throughputSlices"`
	RSSCalls    int           `json:"rssCalls"`
	HTTP        string        `json:"http"`
	ServerArgs  string        `json:"serverArgs"`
	CallTimeout time.Duration `json:"callTimeout"`
	Phase       string        `json:"phase"`
	Flood       floodSettings `json:"flood"`
}

func parseFlags() settings {
	var s settings
	flag.StringVar(&s.Bin, "bin", "", "measure this alfe-mcp `binary` instead of building one (the size check then reports its size)")
	flag.StringVar(&s.Src, "src", "", "build alfe-mcp from this module `dir` (default: the module the bench is run in)")
	flag.StringVar(&s.JSONFile, "json", "", "also write the results as JSON to `file` (- for stdout)")
	flag.StringVar(&s.Pprof, "pprof", "", "build alfe-mcp and the baseline with -tags pprof and write CPU and allocation profiles of their measured 16-in-flight phase into `dir`/alfe-mcp and dir/baseline (see internal/profiling)")
	flag.BoolVar(&s.Floor, "floor", true, "also measure ./bench/floor, the hand-written reference server")
	flag.BoolVar(&s.Baseline, "baseline", true, "also measure ./bench/baseline, the bare mcp-go server doing the same job (issue 13's reference)")
	flag.IntVar(&s.Items, "items", 3, "integrations in the upstream's response")
	flag.DurationVar(&s.Delay, "delay", 0, "upstream delay for the latency, throughput and RSS phases")
	flag.DurationVar(&s.BurstDelay, "burst-delay", 100*time.Millisecond, "upstream delay for the burst phase")
	flag.IntVar(&s.ColdRuns, "cold", 40, "cold starts of each server, alternating")
	flag.IntVar(&s.ListRuns, "list", 200, "tools/list calls")
	flag.IntVar(&s.Calls, "calls", 2000, "sequential calls (interleaved with direct GETs)")
	flag.IntVar(&s.Warmup, "warmup", 200, "warm-up calls before each measured phase")
	flag.IntVar(&s.InFlight, "inflight", 16, "calls in flight in the burst, throughput and RSS phases")
	flag.IntVar(&s.Bursts, "bursts", 7, "measured bursts (after one warm-up burst)")
	flag.DurationVar(&s.TPDuration, "tp-duration", 5*time.Second, "throughput phase: at most this long")
	flag.IntVar(&s.TPCalls, "tp-calls", 200000, "throughput phase: at most this many calls")
	flag.IntVar(&s.TPSlices, "tp-slices", 5, "throughput phase: taken in this many slices, each server's in turn with the others'")
	flag.IntVar(&s.RSSCalls, "rss-calls", 10000, "calls between the RSS readings")
	flag.StringVar(&s.HTTP, "http", "auto", "streamable HTTP: auto (if the binary has the http command) or off")
	flag.StringVar(&s.ServerArgs, "server-args", "", "extra flags for alfe-mcp, space-separated (e.g. \"--log-level warn\")")
	flag.DurationVar(&s.CallTimeout, "timeout", 10*time.Second, "give up on a call after this long")
	flag.StringVar(&s.Phase, "phase", "perf", "perf: the performance figures of issue 6; flood: what clients that never let go make alfe-mcp http and sse hold (issue 11)")
	flag.StringVar(&s.Flood.Phases, "flood", "sessions,sse,conns", "flood phases to run, comma-separated")
	flag.IntVar(&s.Flood.Sessions, "flood-sessions", 50000, "flood sessions: initialize requests, none DELETEd")
	flag.IntVar(&s.Flood.Calls, "flood-calls", 20000, "flood sse: calls posted to a session whose stream is never read")
	flag.IntVar(&s.Flood.Conns, "flood-conns", 15000, "flood conns: idle connections")
	flag.IntVar(&s.Flood.Workers, "flood-workers", 32, "flood: requests or dials in flight at once")
	flag.DurationVar(&s.Flood.Idle, "flood-idle", 5*time.Second, "flood sessions: --session-idle-timeout, when the binary has it")
	flag.Parse()
	if s.Pprof != "" {
		if s.Bin != "" {
			fmt.Fprintln(os.Stderr, "bench: -pprof builds alfe-mcp itself: use -src instead of -bin")
			os.Exit(2)
		}
		if abs, err := filepath.Abs(s.Pprof); err == nil {
			s.Pprof = abs
		}
	}
	if s.Phase == "flood" {
		s.Floor, s.Baseline = false, false
	}
	return s
}

// Report is the JSON document. Durations are in microseconds unless a field
// name says otherwise.
type Report struct {
	Time       string    `json:"time"`
	Machine    Machine   `json:"machine"`
	LoadBefore string    `json:"loadAvgBefore"`
	LoadAfter  string    `json:"loadAvgAfter"`
	Settings   settings  `json:"settings"`
	Server     Figures   `json:"server"`
	Baseline   *Figures  `json:"baseline,omitempty"`
	Floor      *Figures  `json:"floor,omitempty"`
	ToolsList  ListStats `json:"toolsList"`
	DirectGET  Dist      `json:"directGET"`
	HTTP       *HTTPFig  `json:"http,omitempty"`
	HTTPNote   string    `json:"httpNote,omitempty"`
	ReplyBytes int       `json:"callReplyBytes"`
	Checks     []Check   `json:"checks"`
	Errors     []string  `json:"errors,omitempty"`
}

// Figures are what is measured for a stdio server (alfe-mcp, the baseline or
// the floor).
type Figures struct {
	BinaryBytes int64   `json:"binaryBytes"`
	ColdStart   Dist    `json:"coldStartUs"`
	Latency     Dist    `json:"callLatency"`
	Direct      Dist    `json:"directGETLatency"` // the GETs interleaved with these calls
	OverheadUs  float64 `json:"overheadP50Us"`    // Latency.P50 − Direct.P50
	SeqCPUUs    float64 `json:"sequentialCPUPerCallUs"`
	Burst       Burst   `json:"burst"`
	Throughput  TP      `json:"throughput"`
	RSS         RSS     `json:"rss"`
}

// ListStats is the tools/list figure: the latency of s.ListRuns calls, and
// the size of the reply line and how many tools it lists.
type ListStats struct {
	Dist
	Bytes int `json:"bytes"`
	Tools int `json:"tools"`
}

// HTTPFig is the streamable HTTP figures: calls on a stateful and a
// stateless server, a stdio call and a direct GET, taken in turn in one loop
// (httpLatency).
type HTTPFig struct {
	Stateful       Dist     `json:"stateful"`
	Stdio          Dist     `json:"stdio"`            // the stdio calls of the same loop
	Direct         Dist     `json:"directGETLatency"` // the direct GETs of the same loop
	Stateless      *Dist    `json:"stateless,omitempty"`
	OverheadUs     float64  `json:"overheadP50Us"`
	Ratio          float64  `json:"statefulOverStdioP50"`
	StatelessRatio *float64 `json:"statelessOverStdioP50,omitempty"`
}

// Burst is the burst phase: N calls written at once against an upstream
// that answers after DelayMs, a warm-up burst (FirstMs) then the wall time
// of each measured burst and their median, in milliseconds.
type Burst struct {
	N        int       `json:"n"`
	DelayMs  float64   `json:"upstreamDelayMs"`
	FirstMs  float64   `json:"firstBurstMs"`
	WallMs   []float64 `json:"wallMs"`
	MedianMs float64   `json:"medianMs"`
}

// TP is the throughput phase of one server: calls at InFlight in flight,
// in Slices slices taken in turn with the other servers (see throughput);
// CPU per call in microseconds; upstream connections opened in the warm-up
// and after it.
type TP struct {
	InFlight    int     `json:"inFlight"`
	Calls       int     `json:"calls"`
	Seconds     float64 `json:"seconds"`
	CallsPerSec float64 `json:"callsPerSec"`
	ServerCPUUs float64 `json:"serverCPUPerCallUs"`
	BenchCPUUs  float64 `json:"benchCPUPerCallUs"`
	NewConns    int64   `json:"newUpstreamConnsAfterWarmup"`
	WarmConns   int64   `json:"newUpstreamConnsInWarmup"`
	Slices      int     `json:"slices"` // taken in this many slices, in turn with the other servers
	Latency     Dist    `json:"latency"`
}

// RSS is the memory of a fresh server: after start (initialize and
// notifications/initialized), after CallsEach calls and after as many more,
// and the growth between the last two, in MiB.
type RSS struct {
	AfterStart  Mem     `json:"afterStart"`
	AfterFirst  Mem     `json:"afterFirst"`
	AfterSecond Mem     `json:"afterSecond"`
	GrowthMB    float64 `json:"growthMiB"`
	CallsEach   int     `json:"callsEach"`
}

// Check is one figure against its target. Issue 13's targets are relative
// to the baseline of the same run: VsBaseline is alfe-mcp's figure as a
// ratio (×) or a difference (+/−) against it; Stretch is the figure halfway
// from the baseline to the floor.
type Check struct {
	Name       string   `json:"name"`
	Value      float64  `json:"value"`
	Baseline   *float64 `json:"baseline,omitempty"`
	Floor      *float64 `json:"floor,omitempty"`
	Unit       string   `json:"unit"`
	VsBaseline string   `json:"vsBaseline,omitempty"`
	Target     string   `json:"target"`
	Status     string   `json:"status"` // PASS, MISS or SKIP
	Stretch    string   `json:"stretch,omitempty"`
	StretchOK  *bool    `json:"stretchMet,omitempty"`
}

func main() {
	s := parseFlags()
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func call(srv *stdioServer) func() (time.Duration, error) {
	return func() (time.Duration, error) { _, d, err := srv.call("tools/call", callParams); return d, err }
}

func run(s settings) error {
	rep := &Report{Time: time.Now().UTC().Format(time.RFC3339), Settings: s, LoadBefore: loadAvg()}
	rep.Machine = machine(goVersion())
	args := strings.Fields(s.ServerArgs)

	// Build.
	root, err := moduleRoot()
	if err != nil && (s.Bin == "" && s.Src == "" || s.Floor || s.Baseline) {
		return err
	}
	dir, err := os.MkdirTemp("", "alfe-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := s.Bin
	if bin == "" {
		src := s.Src
		if src == "" {
			src = root
		}
		logf("building alfe-mcp in %s (CGO_ENABLED=0 go build -trimpath -ldflags \"-s -w\")", src)
		if bin, err = build(src, ".", dir, "alfe-mcp", s.buildTags()...); err != nil {
			return err
		}
	}
	baseBin := ""
	if s.Baseline {
		if baseBin, err = build(root, "./bench/baseline", dir, "baseline", s.buildTags()...); err != nil {
			return err
		}
		rep.Baseline = &Figures{}
		rep.Baseline.BinaryBytes = fileSize(baseBin)
	}
	floorBin := ""
	if s.Floor {
		if floorBin, err = build(root, "./bench/floor", dir, "floor"); err != nil {
			return err
		}
		rep.Floor = &Figures{}
		rep.Floor.BinaryBytes = fileSize(floorBin)
	}
	rep.Server.BinaryBytes = fileSize(bin)

	up, err := startUpstream(s.Items)
	if err != nil {
		return err
	}
	defer up.close()
	if s.Phase == "flood" {
		rs, err := runFlood(bin, up.url, s.Flood)
		fmt.Printf("\nalfe-mcp flood, %s; binary %s\nmachine: %d CPUs (%s), %s; load avg %s before, %s after\n",
			rep.Time, bin, rep.Machine.NumCPU, rep.Machine.CPUModel, rep.Machine.GoVersion, rep.LoadBefore, loadAvg())
		printFlood(os.Stdout, rs)
		if s.JSONFile != "" {
			b, _ := json.MarshalIndent(rs, "", "  ")
			if werr := os.WriteFile(s.JSONFile, append(b, '\n'), 0o644); werr != nil {
				return werr
			}
		}
		return err
	}
	direct := newDirect(up.url, s.CallTimeout)

	// Cold start, alternating alfe-mcp, the baseline and the floor.
	logf("cold start: %d runs", s.ColdRuns)
	var colds, baseColds, floorColds []time.Duration
	for range s.ColdRuns {
		d, err := coldStart(bin, up.url, args, s.CallTimeout)
		if err != nil {
			return fmt.Errorf("cold start: %w", err)
		}
		colds = append(colds, d)
		if s.Baseline {
			if d, err = coldStart(baseBin, up.url, nil, s.CallTimeout); err != nil {
				return fmt.Errorf("baseline cold start: %w", err)
			}
			baseColds = append(baseColds, d)
		}
		if s.Floor {
			if d, err = coldStart(floorBin, up.url, nil, s.CallTimeout); err != nil {
				return fmt.Errorf("floor cold start: %w", err)
			}
			floorColds = append(floorColds, d)
		}
	}
	rep.Server.ColdStart = summarize(colds)
	if s.Baseline {
		rep.Baseline.ColdStart = summarize(baseColds)
	}
	if s.Floor {
		rep.Floor.ColdStart = summarize(floorColds)
	}

	// alfe-mcp over stdio: tools/list, latency, then the per-server phases.
	srv, err := startInitialized(bin, up.url, args, s)
	if err != nil {
		return err
	}
	defer srv.stop()
	logf("tools/list: %d calls", s.ListRuns)
	var lists []time.Duration
	var listLine []byte
	for range s.ListRuns {
		line, d, err := srv.call("tools/list", "")
		if err != nil {
			return err
		}
		lists = append(lists, d)
		listLine = line
	}
	rep.ToolsList = ListStats{Dist: summarize(lists), Bytes: len(listLine), Tools: countTools(listLine)}
	first, _, _ := srv.call("tools/call", callParams)
	rep.ReplyBytes = len(first)

	// The baseline and the floor, started now: the sequential calls and the
	// throughput are measured on the three in turn, so that each figure
	// against the baseline is taken under the same noise.
	targets := []*target{{name: "alfe-mcp", f: &rep.Server, srv: srv, bin: bin, args: args, conns: &up.srvConns}}
	for _, ref := range []struct {
		on    bool
		name  string
		f     *Figures
		bin   string
		conns *atomic.Int64
	}{{s.Baseline, "baseline", rep.Baseline, baseBin, &up.blConns}, {s.Floor, "floor", rep.Floor, floorBin, &up.flrConns}} {
		if !ref.on {
			continue
		}
		rs, err := startInitialized(ref.bin, up.url, nil, s)
		if err != nil {
			return fmt.Errorf("%s: %w", ref.name, err)
		}
		defer rs.stop()
		targets = append(targets, &target{name: ref.name, f: ref.f, srv: rs, bin: ref.bin, conns: ref.conns})
	}

	up.setDelay(s.Delay)
	logf("stdio latency: %d warm-up + %d rounds of a call on each of %d servers and a direct GET, in turn", s.Warmup, s.Calls, len(targets))
	calls := []func() (time.Duration, error){direct.get}
	for _, t := range targets {
		calls = append(calls, call(t.srv))
	}
	lats, err := inTurn(calls, s)
	if err != nil {
		return fmt.Errorf("stdio latency: %w", err)
	}
	rep.DirectGET = lats[0]
	for i, t := range targets {
		t.f.Latency, t.f.Direct = lats[i+1], lats[0]
		t.f.OverheadUs = round1(t.f.Latency.P50 - t.f.Direct.P50)
	}

	// Streamable HTTP: its servers and this stdio server called in turn in
	// one loop, so that their ratio is taken under the same noise.
	if s.HTTP != "off" {
		switch has, stateless := httpSupport(bin); {
		case !has:
			rep.HTTPNote = "the binary has no http command"
		default:
			h, err := httpLatency(bin, up.url, stateless, args, srv, direct, s)
			if err != nil {
				rep.Errors = append(rep.Errors, "http: "+err.Error())
				rep.HTTPNote = "http failed: " + err.Error()
				break
			}
			rep.HTTP = h
		}
	} else {
		rep.HTTPNote = "disabled with -http off"
	}

	// Each server's sequential CPU and bursts, then the throughput of all
	// in turn: the bursts have opened the upstream connections the
	// throughput's warm-up would otherwise have to (as when every server
	// was measured alone, in this order), then RSS in fresh processes.
	for _, t := range targets {
		if err := serialPhases(t.f, t.name, t.srv, up, s); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	if err := throughput(targets, up, s); err != nil {
		return err
	}
	for _, t := range targets {
		logf("%s rss: start, +%d calls, +%d calls", t.name, s.RSSCalls, s.RSSCalls)
		if t.f.RSS, err = measureRSS(t.bin, up.url, t.args, s); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		if b := t.srv.bad.Load(); b > 0 {
			if t.name == "alfe-mcp" {
				rep.Errors = append(rep.Errors, fmt.Sprintf("stdio: %d calls returned errors", b))
				continue
			}
			return fmt.Errorf("%s: %d calls returned errors", t.name, b)
		}
	}

	rep.LoadAfter = loadAvg()
	rep.Checks = checks(rep)
	printReport(os.Stdout, rep)
	if s.JSONFile != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		b = append(b, '\n')
		if s.JSONFile == "-" {
			os.Stdout.Write(b) //nolint:errcheck
		} else if err := os.WriteFile(s.JSONFile, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// inTurn times s.Calls rounds of one call of each of calls, after s.Warmup
// unmeasured rounds, in the order turn gives. It returns their latencies in
// the order of calls.
func inTurn(calls []func() (time.Duration, error), s settings) ([]Dist, error) {
	lats := make([][]time.Duration, len(calls))
	for i := range s.Warmup + s.Calls {
		for j := range calls {
			k := turn(i, j, len(calls))
			d, err := calls[k]()
			if err != nil {
				return nil, err
			}
			if i >= s.Warmup {
				lats[k] = append(lats[k], d)
			}
		}
	}
	dists := make([]Dist, len(calls))
	for k, l := range lats {
		dists[k] = summarize(l)
	}
	return dists, nil
}

// turn is the index of the j-th of n servers (or calls) in round r: round r
// starts with r mod n and goes up on even rounds, down on odd ones, so that
// each follows each of its two neighbours as often, and none is always
// first or always after the same one.
func turn(r, j, n int) int {
	if r%2 == 0 {
		return (r + j) % n
	}
	return ((r-j)%n + n) % n
}

// httpLatency starts `alfe-mcp http` (and, when stateless, `alfe-mcp http
// --stateless`), runs s.Calls rounds of a call on each and on the stdio
// server srv, and a direct GET, in turn, and stops the HTTP servers. Each
// ratio is of p50s from that one loop.
func httpLatency(bin, apiURL string, stateless bool, args []string, srv *stdioServer, direct *directClient, s settings) (*HTTPFig, error) {
	h, err := startHTTPClient(bin, apiURL, false, args, s.CallTimeout, s.Items)
	if err != nil {
		return nil, err
	}
	defer h.stop()
	servers := []*httpServer{h}
	if stateless {
		hl, err := startHTTPClient(bin, apiURL, true, args, s.CallTimeout, s.Items)
		if err != nil {
			return nil, fmt.Errorf("--stateless: %w", err)
		}
		defer hl.stop()
		servers = append(servers, hl)
	}
	logf("alfe-mcp http latency: %d warm-up + %d rounds of a stdio call, a direct GET and a call on each of %d HTTP servers", s.Warmup, s.Calls, len(servers))
	calls := []func() (time.Duration, error){call(srv), direct.get}
	for _, x := range servers {
		calls = append(calls, func() (time.Duration, error) { _, d, err := x.call("tools/call", callParams); return d, err })
	}
	d, err := inTurn(calls, s)
	if err != nil {
		return nil, err
	}
	for _, x := range servers {
		if b := x.bad.Load(); b > 0 {
			return nil, fmt.Errorf("%d calls returned errors", b)
		}
	}
	fig := &HTTPFig{Stdio: d[0], Direct: d[1], Stateful: d[2]}
	fig.OverheadUs = round1(fig.Stateful.P50 - fig.Direct.P50)
	fig.Ratio = round3(fig.Stateful.P50 / fig.Stdio.P50)
	if stateless {
		r := round3(d[3].P50 / fig.Stdio.P50)
		fig.Stateless, fig.StatelessRatio = &d[3], &r
	}
	return fig, nil
}

// target is a stdio server under measurement: alfe-mcp, the baseline or
// the floor. conns counts the upstream connections it opens.
type target struct {
	name  string
	f     *Figures
	srv   *stdioServer
	bin   string
	args  []string
	conns *atomic.Int64
}

// serialPhases runs, on one stdio server (named name in the log), the
// CPU-per-sequential-call and burst phases.
func serialPhases(f *Figures, name string, srv *stdioServer, up *upstream, s settings) error {
	// CPU per sequential call.
	up.setDelay(s.Delay)
	cpu0, _ := cpuTime(srv.pid())
	for range s.Calls {
		if _, _, err := srv.call("tools/call", callParams); err != nil {
			return err
		}
	}
	cpu1, _ := cpuTime(srv.pid())
	f.SeqCPUUs = round1(float64(cpu1-cpu0) / float64(time.Microsecond) / float64(max(1, s.Calls)))

	// Bursts against a slow upstream.
	logf("%s burst: %d × %d calls against a %v upstream", name, s.Bursts+1, s.InFlight, s.BurstDelay)
	up.setDelay(s.BurstDelay)
	f.Burst = Burst{N: s.InFlight, DelayMs: ms(s.BurstDelay)}
	var walls []time.Duration
	for i := range s.Bursts + 1 {
		d, err := srv.batch(s.InFlight, "tools/call", callParams)
		if err != nil {
			return fmt.Errorf("burst: %w", err)
		}
		if i == 0 {
			f.Burst.FirstMs = ms(d)
			continue
		}
		walls = append(walls, d)
		f.Burst.WallMs = append(f.Burst.WallMs, ms(d))
	}
	f.Burst.MedianMs = round2(summarize(walls).P50 / 1000)
	up.setDelay(s.Delay)
	return nil
}

// buildTags are the tags the servers are built with: pprof with -pprof.
func (s settings) buildTags() []string {
	if s.Pprof != "" {
		return []string{"pprof"}
	}
	return nil
}

// profileEnv is the environment that tells a server built with -tags pprof
// where to write its profiles: a directory of s.Pprof named after bin.
func (s settings) profileEnv(bin string) []string {
	if s.Pprof == "" {
		return nil
	}
	dir := filepath.Join(s.Pprof, filepath.Base(bin))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		logf("pprof: %v", err)
	}
	return []string{"ALFE_PPROF_DIR=" + dir}
}

func startInitialized(bin, apiURL string, args []string, s settings) (*stdioServer, error) {
	srv, _, err := startStdio(bin, apiURL, args, s.profileEnv(bin), s.CallTimeout)
	if err != nil {
		return nil, err
	}
	if _, err := srv.initialize(); err != nil {
		srv.stop()
		return nil, err
	}
	line, _, err := srv.call("tools/call", callParams)
	if err == nil {
		err = checkCallReply(line, s.Items)
	}
	if err != nil {
		srv.stop()
		return nil, err
	}
	return srv, nil
}

func startHTTPClient(bin, apiURL string, stateless bool, args []string, timeout time.Duration, items int) (*httpServer, error) {
	h, err := startHTTP(bin, apiURL, stateless, args, timeout)
	if err != nil {
		return nil, err
	}
	if err := h.initialize(); err != nil {
		h.stop()
		return nil, err
	}
	line, _, err := h.call("tools/call", callParams)
	if err == nil {
		err = checkCallReply(line, items)
	}
	if err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

// coldStart times exec to the initialize reply of a fresh server.
func coldStart(bin, apiURL string, args []string, timeout time.Duration) (time.Duration, error) {
	srv, t0, err := startStdio(bin, apiURL, args, nil, timeout)
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	id, ch := srv.register()
	if err := srv.write(request(id, "initialize", initParams)); err != nil {
		return 0, err
	}
	r, err := srv.wait(id, ch)
	if err != nil {
		return 0, err
	}
	if !bytes.Contains(r.line, []byte(`"protocolVersion"`)) {
		return 0, fmt.Errorf("initialize failed: %s", r.line)
	}
	return r.at.Sub(t0), nil
}

// concurrent runs call from inFlight goroutines until maxCalls have started
// or dur has passed. It returns the calls made, the elapsed time and their
// latencies.
func concurrent(call func() (time.Duration, error), inFlight, maxCalls int, dur time.Duration) (int, time.Duration, []time.Duration, error) {
	var started atomic.Int64
	deadline := time.Now().Add(dur)
	lats := make([][]time.Duration, inFlight)
	errs := make([]error, inFlight)
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := range inFlight {
		wg.Go(func() {
			for started.Add(1) <= int64(maxCalls) && time.Now().Before(deadline) {
				d, err := call()
				if err != nil {
					errs[w] = err
					return
				}
				lats[w] = append(lats[w], d)
			}
		})
	}
	wg.Wait()
	el := time.Since(t0)
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return len(all), el, all, errors.Join(errs...)
}

func measureRSS(bin, apiURL string, args []string, s settings) (RSS, error) {
	srv, _, err := startStdio(bin, apiURL, args, nil, s.CallTimeout)
	if err != nil {
		return RSS{}, err
	}
	defer srv.stop()
	if _, err := srv.initialize(); err != nil {
		return RSS{}, err
	}
	r := RSS{CallsEach: s.RSSCalls}
	if r.AfterStart, err = memOf(srv.pid()); err != nil {
		return r, err
	}
	for i, dst := range []*Mem{&r.AfterFirst, &r.AfterSecond} {
		n, _, _, err := concurrent(call(srv), s.InFlight, s.RSSCalls, 10*time.Minute)
		if err != nil {
			return r, err
		}
		if n != s.RSSCalls {
			return r, fmt.Errorf("rss phase %d: made %d calls, want %d", i+1, n, s.RSSCalls)
		}
		if *dst, err = memOf(srv.pid()); err != nil {
			return r, err
		}
	}
	r.GrowthMB = round2(r.AfterSecond.RSS - r.AfterFirst.RSS)
	return r, nil
}

// directClient GETs the upstream endpoint itself, keep-alive, with the
// headers the server sends.
type directClient struct {
	hc  *http.Client
	url string
}

func newDirect(base string, timeout time.Duration) *directClient {
	return &directClient{url: base + "/agent/integrations", hc: &http.Client{Timeout: timeout,
		Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}}
}

func (c *directClient) get() (time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, c.url, nil)
	if err != nil {
		return 0, err
	}
	req.Header["Authorization"] = []string{"Bearer " + benchKey}
	req.Header["Accept"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{"alfe-bench-direct"}
	t0 := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close() //nolint:errcheck
	d := time.Since(t0)
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("direct GET: %s", resp.Status)
	}
	return d, err
}

// checkCallReply checks a list_integrations reply carries items integrations.
func checkCallReply(line []byte, items int) error {
	var m struct {
		Result struct {
			IsError    bool `json:"isError"`
			Structured struct {
				Integrations []json.RawMessage `json:"integrations"`
			} `json:"structuredContent"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(line, &m); err != nil || m.Error != nil || m.Result.IsError || len(m.Result.Structured.Integrations) != items {
		return fmt.Errorf("list_integrations did not return %d integrations: %.500s", items, line)
	}
	return nil
}

func countTools(line []byte) int {
	var m struct {
		Result struct {
			Tools []json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	json.Unmarshal(line, &m) //nolint:errcheck
	return len(m.Result.Tools)
}

func checks(r *Report) []Check {
	status := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "MISS"
	}
	ref := func(f *Figures, get func(f *Figures) float64) *float64 {
		if f == nil {
			return nil
		}
		v := get(f)
		return &v
	}
	// figure is one row: alfe-mcp's value and the references'.
	figure := func(name, unit string, get func(f *Figures) float64) Check {
		return Check{Name: name, Unit: unit, Value: get(&r.Server), Baseline: ref(r.Baseline, get), Floor: ref(r.Floor, get)}
	}
	// absolute sets a target of issue 6 (or of a figure with no reference).
	absolute := func(c Check, target string, ok func(v float64) bool) Check {
		c.Target, c.Status = target, status(ok(c.Value))
		return c
	}
	// ratio and diff print the figure against the baseline; with a target,
	// the target is relative to it (issue 13), and the stretch is halfway
	// from the baseline to the floor.
	ratio := func(c Check) Check {
		if c.Baseline != nil && *c.Baseline != 0 {
			c.VsBaseline = fmt.Sprintf("%.2f×", c.Value / *c.Baseline)
		}
		return c
	}
	diff := func(c Check) Check {
		if c.Baseline != nil {
			c.VsBaseline = fmt.Sprintf("%+.4g %s", round2(c.Value-*c.Baseline), c.Unit)
		}
		return c
	}
	relative := func(c Check, target string, ok func(v, base float64) bool, higherIsBetter bool) Check {
		c.Target = target
		if c.Baseline == nil {
			c.Status = "SKIP"
			return c
		}
		c.Status = status(ok(c.Value, *c.Baseline))
		if c.Floor != nil {
			half := round1((*c.Baseline + *c.Floor) / 2)
			met := c.Value <= half
			c.Stretch = fmt.Sprintf("≤ %g %s", half, c.Unit)
			if higherIsBetter {
				met = c.Value >= half
				c.Stretch = fmt.Sprintf("≥ %g %s", half, c.Unit)
			}
			c.StretchOK = &met
		}
		return c
	}
	mib := func(b int64) float64 { return round2(float64(b) / (1 << 20)) }
	inFlight := r.Server.Throughput.InFlight
	cs := []Check{
		// Issue 13: against the bare library, in this run.
		relative(ratio(figure(fmt.Sprintf("calls/s, %d in flight, %v upstream delay", inFlight, r.Settings.Delay), "/s",
			func(f *Figures) float64 { return math.Round(f.Throughput.CallsPerSec) })),
			"≥ 1.00× baseline", func(v, b float64) bool { return v >= b }, true),
		relative(ratio(figure(fmt.Sprintf("server CPU per call, %d in flight", inFlight), "µs",
			func(f *Figures) float64 { return f.Throughput.ServerCPUUs })),
			"≤ 1.00× baseline", func(v, b float64) bool { return v <= b }, false),
		relative(diff(figure("sequential call p50 (stdio)", "µs", func(f *Figures) float64 { return f.Latency.P50 })),
			"≤ baseline + 20 µs", func(v, b float64) bool { return v <= b+20 }, false),
		relative(diff(figure("cold start, median (exec → initialize reply)", "ms", func(f *Figures) float64 { return round2(f.ColdStart.P50 / 1000) })),
			"≤ baseline + 2 ms", func(v, b float64) bool { return v <= b+2 }, false),
		absolute(Check{Name: "tools/list reply line", Value: float64(r.ToolsList.Bytes), Unit: "B"},
			"< 8192 B", func(v float64) bool { return v < 8192 }),
		// Issue 6: absolute.
		absolute(ratio(figure("stripped binary size", "MiB", func(f *Figures) float64 { return mib(f.BinaryBytes) })),
			"≤ 10 MiB", func(v float64) bool { return v <= 10 }),
		absolute(Check{Name: "tools/list, median", Value: r.ToolsList.P50, Unit: "µs"},
			"≤ 2000 µs", func(v float64) bool { return v <= 2000 }),
		absolute(diff(figure("per-call p50 over the direct GET (stdio)", "µs", func(f *Figures) float64 { return f.OverheadUs })),
			"≤ 380 µs", func(v float64) bool { return v <= 380 }),
		absolute(diff(figure(fmt.Sprintf("%d simultaneous calls, %v upstream, median", r.Server.Burst.N, r.Settings.BurstDelay), "ms",
			func(f *Figures) float64 { return f.Burst.MedianMs })),
			"≤ 110 ms", func(v float64) bool { return v <= 110 }),
		absolute(figure(fmt.Sprintf("new upstream conns once warm, %d in flight", inFlight), "",
			func(f *Figures) float64 { return float64(f.Throughput.NewConns) }),
			"0", func(v float64) bool { return v == 0 }),
		absolute(diff(figure("RSS after start", "MiB", func(f *Figures) float64 { return f.RSS.AfterStart.RSS })),
			"≤ 12 MiB", func(v float64) bool { return v <= 12 }),
		absolute(diff(figure(fmt.Sprintf("RSS after %d calls", r.Server.RSS.CallsEach), "MiB", func(f *Figures) float64 { return f.RSS.AfterFirst.RSS })),
			"≤ 18 MiB", func(v float64) bool { return v <= 18 }),
		absolute(diff(figure(fmt.Sprintf("RSS growth over the next %d calls", r.Server.RSS.CallsEach), "MiB", func(f *Figures) float64 { return f.RSS.GrowthMB })),
			"≤ 1 MiB (none)", func(v float64) bool { return v <= 1 }),
	}
	if r.HTTP != nil {
		cs = append(cs, absolute(Check{Name: "streamable HTTP p50 / stdio p50", Value: r.HTTP.Ratio, Unit: "×"}, "≤ 1.25×", func(v float64) bool { return v <= 1.25 }))
	} else {
		cs = append(cs, Check{Name: "streamable HTTP p50 / stdio p50", Unit: "×", Target: "≤ 1.25×", Status: "SKIP"})
	}
	return cs
}

func printReport(w io.Writer, r *Report) {
	m := r.Machine
	fmt.Fprintf(w, "\nalfe-mcp bench, %s\nmachine: %d CPUs (%s), %s, %s %s/%s, kernel %s; load avg %s before, %s after\n",
		r.Time, m.NumCPU, m.CPUModel, m.MemTotal, m.GoVersion, m.GOOS, m.GOARCH, m.Kernel, r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(w, "upstream: %d integrations per response (call reply %d bytes), delay %v\n\n",
		r.Settings.Items, r.ReplyBytes, r.Settings.Delay)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tALFE-MCP\tBASELINE\tFLOOR\tVS BASELINE\tTARGET\tSTATUS\tSTRETCH (halfway to the floor)")
	val := func(v *float64, unit string) string {
		if v == nil {
			return "-"
		}
		return strings.TrimSpace(fmt.Sprintf("%g %s", *v, unit))
	}
	for _, c := range r.Checks {
		v := val(&c.Value, c.Unit)
		if c.Status == "SKIP" && c.Baseline == nil && c.Value == 0 {
			v = "n/a"
		}
		vs, stretch := c.VsBaseline, c.Stretch
		if vs == "" {
			vs = "-"
		}
		if c.StretchOK != nil {
			if *c.StretchOK {
				stretch += " met"
			} else {
				stretch += " not met"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, v, val(c.Baseline, c.Unit), val(c.Floor, c.Unit), vs, c.Target, c.Status, stretch)
	}
	tw.Flush() //nolint:errcheck

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "latency (µs)\tn\tmin\tp50\tp90\tp99\tmax\tmean\t")
	row := func(name string, d Dist) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, d.N, d.Min, d.P50, d.P90, d.P99, d.Max, d.Mean)
	}
	refs := []struct {
		name string
		f    *Figures
	}{{"alfe-mcp", &r.Server}, {"baseline", r.Baseline}, {"floor", r.Floor}}
	for _, x := range refs {
		if x.f != nil {
			row(x.name+" cold start", x.f.ColdStart)
		}
	}
	row("tools/list", r.ToolsList.Dist)
	for _, x := range refs {
		if x.f != nil {
			row(x.name+" stdio call", x.f.Latency)
		}
	}
	row("  direct GET, same loop", r.Server.Direct)
	if r.HTTP != nil {
		row("alfe-mcp http call", r.HTTP.Stateful)
		if r.HTTP.Stateless != nil {
			row("  http --stateless, same loop", *r.HTTP.Stateless)
		}
		row("  stdio call, same loop", r.HTTP.Stdio)
		row("  direct GET, same loop", r.HTTP.Direct)
	}
	for _, x := range refs {
		if x.f != nil {
			row(fmt.Sprintf("%s stdio, %d in flight", x.name, x.f.Throughput.InFlight), x.f.Throughput.Latency)
		}
	}
	tw.Flush() //nolint:errcheck

	fmt.Fprintf(w, "\ntools/list: %d tools, %d bytes\n", r.ToolsList.Tools, r.ToolsList.Bytes)
	if r.HTTP != nil {
		fmt.Fprintf(w, "http: p50 %.1f µs over the direct GET, %.3f× stdio", r.HTTP.OverheadUs, r.HTTP.Ratio)
		if r.HTTP.StatelessRatio != nil {
			fmt.Fprintf(w, "; --stateless %.3f× stdio", *r.HTTP.StatelessRatio)
		}
		fmt.Fprintln(w)
	} else if r.HTTPNote != "" {
		fmt.Fprintf(w, "http: %s\n", r.HTTPNote)
	}
	for _, x := range refs {
		f := x.f
		if f == nil {
			continue
		}
		t := f.Throughput
		fmt.Fprintf(w, "%s: CPU per sequential call %.1f µs; bursts: first %.1f ms, then %v ms\n", x.name, f.SeqCPUUs, f.Burst.FirstMs, f.Burst.WallMs)
		fmt.Fprintf(w, "%s: %d calls in %.2f s at %d in flight = %.0f calls/s; CPU per call: server %.1f µs, bench (client+upstream) %.1f µs; upstream conns: %d in warm-up, %d after\n",
			x.name, t.Calls, t.Seconds, t.InFlight, t.CallsPerSec, t.ServerCPUUs, t.BenchCPUUs, t.WarmConns, t.NewConns)
		fmt.Fprintf(w, "%s: RSS (anon + file) %.2f (%.2f + %.2f) MiB after start, %.2f (%.2f + %.2f) after %d calls, %.2f (%.2f + %.2f) after %d more; binary %d bytes\n",
			x.name, f.RSS.AfterStart.RSS, f.RSS.AfterStart.Anon, f.RSS.AfterStart.File,
			f.RSS.AfterFirst.RSS, f.RSS.AfterFirst.Anon, f.RSS.AfterFirst.File, f.RSS.CallsEach,
			f.RSS.AfterSecond.RSS, f.RSS.AfterSecond.Anon, f.RSS.AfterSecond.File, f.RSS.CallsEach, f.BinaryBytes)
	}
	for _, e := range r.Errors {
		fmt.Fprintln(w, "error:", e)
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func ms(d time.Duration) float64 { return round2(float64(d) / float64(time.Millisecond)) }

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// throughput measures calls/s and CPU per call at s.InFlight in flight on
// each target: after a warm-up of each, s.TPSlices rounds in which each
// target in turn (see turn) runs for s.TPDuration/s.TPSlices, or
// s.TPCalls/s.TPSlices calls, so that every target's figure is taken under
// the same noise. Calls, time and the bench's own CPU are summed over a
// target's slices. Its server CPU is read once before the first round and
// once after the last (/proc counts in 10 ms ticks: one reading per slice
// would add up their rounding); it includes what the server spends idle
// while the others run (nothing measurable) and, with -pprof, the
// profiler's own work.
func throughput(targets []*target, up *upstream, s settings) error {
	up.setDelay(s.Delay)
	slices := max(1, s.TPSlices)
	perSlice, sliceCalls := s.TPDuration/time.Duration(slices), max(1, s.TPCalls/slices)
	logf("throughput: %d in flight on %d servers in turn, warm-up then %d slices of up to %v or %d calls each",
		s.InFlight, len(targets), slices, perSlice, sliceCalls)
	type acc struct {
		tp       TP
		elapsed  time.Duration
		cpu0     time.Duration
		self     time.Duration
		lat      []time.Duration
		profiled bool
	}
	accs := make([]acc, len(targets))
	for i, t := range targets {
		w0 := t.conns.Load()
		if _, _, _, err := concurrent(call(t.srv), s.InFlight, max(s.Warmup, 10*s.InFlight), s.TPDuration); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		accs[i].tp = TP{InFlight: s.InFlight, WarmConns: t.conns.Load() - w0}
		accs[i].profiled = s.Pprof != "" && t.name != "floor"
	}
	for i, t := range targets {
		if accs[i].profiled {
			t.srv.cmd.Process.Signal(syscall.SIGUSR1) //nolint:errcheck // starts the CPU profile (internal/profiling)
		}
		accs[i].cpu0, _ = cpuTime(t.srv.pid())
	}
	for r := range slices {
		for j := range targets {
			k := turn(r, j, len(targets))
			t, a := targets[k], &accs[k]
			c0 := t.conns.Load()
			self0 := selfCPU()
			n, el, lat, err := concurrent(call(t.srv), s.InFlight, sliceCalls, perSlice)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			a.self += selfCPU() - self0
			a.elapsed += el
			a.tp.Calls += n
			a.tp.NewConns += t.conns.Load() - c0
			a.lat = append(a.lat, lat...)
		}
	}
	for i, t := range targets {
		a := &accs[i]
		cpu1, _ := cpuTime(t.srv.pid())
		if a.profiled {
			t.srv.cmd.Process.Signal(syscall.SIGUSR2) //nolint:errcheck // stops it, writes the allocations
			logf("%s: profiles in %s (written once the server has handled the signal)", t.name, filepath.Join(s.Pprof, t.name))
		}
		n := max(1, a.tp.Calls)
		a.tp.Seconds = round2(a.elapsed.Seconds())
		if a.elapsed > 0 {
			a.tp.CallsPerSec = round1(float64(a.tp.Calls) / a.elapsed.Seconds())
		}
		a.tp.ServerCPUUs = round1(float64(cpu1-a.cpu0) / float64(time.Microsecond) / float64(n))
		a.tp.BenchCPUUs = round1(float64(a.self) / float64(time.Microsecond) / float64(n))
		a.tp.Slices = slices
		a.tp.Latency = summarize(a.lat)
		t.f.Throughput = a.tp
	}
	return nil
}
