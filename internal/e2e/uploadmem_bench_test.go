package e2e_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/childproc"
	"github.com/quizflow/quizflow/internal/client"
)

// uploadSize is the upload BenchmarkUploadMemory streams.
const uploadSize = 100 << 20

var uploadOnce struct {
	sync.Once
	base, hwm, sampled int64 // bytes: RSS before, peak RSS (kernel), peak RSS sampled
	took               time.Duration
}

// BenchmarkUploadMemory: the API as its own process (cmd/api, with
// MAX_FILE_SIZE raised to 128 MiB) takes a 100 MB upload streamed by the
// client; the figure is how far its resident memory rises above what it
// was before (VmHWM after the upload, its peak, reset just before; VmRSS
// sampled every 10 ms besides). Target: under 32 MB.
func BenchmarkUploadMemory(b *testing.B) {
	uploadOnce.Do(func() {
		var vars map[string]string
		setup(b, func(o *setupOptions) {
			o.workers = 0 // the job waits in its queue: only the API is measured
			o.vars = func(v map[string]string) { vars = maps.Clone(v) }
		})
		port := freePort(b)
		vars["HOST"], vars["PORT"] = "127.0.0.1", strconv.Itoa(port)
		vars["MAX_FILE_SIZE"], vars["METRICS_ADDR"] = "128MiB", "off"
		api := childproc.Start(b, "api", childproc.Binary(b, "api"), vars)
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		waitHealthy(b, api, url)

		c := client.New(url)
		if _, err := c.Register(context.Background(), "mem@example.com", "correct horse battery", "Mem"); err != nil {
			b.Fatal(err)
		}
		// A small upload first, so what the first one sets up is not counted.
		if _, err := c.UploadReader(context.Background(), "warm.txt", io.LimitReader(&textStream{}, 1<<20), map[string]string{"question_count": "3"}); err != nil {
			b.Fatal(err)
		}
		u := &uploadOnce
		var err error
		if u.base, err = api.Status("VmRSS"); err != nil {
			b.Fatal(err)
		}
		// Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS.
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", api.Pid()), []byte("5"), 0); err != nil {
			b.Fatalf("reset the API's peak RSS: %v", err)
		}
		var peak atomic.Int64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				if rss, err := api.Status("VmRSS"); err == nil && rss > peak.Load() {
					peak.Store(rss)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		start := time.Now()
		up, err := c.UploadReader(context.Background(), "big.txt", io.LimitReader(&textStream{}, uploadSize), map[string]string{"question_count": "3"})
		u.took = time.Since(start)
		close(stop)
		<-sampled
		if err != nil {
			b.Fatal(err)
		}
		if up.Document.Size != uploadSize {
			b.Fatalf("document %s stored %d bytes, want %d", up.Document.ID, up.Document.Size, uploadSize)
		}
		if u.hwm, err = api.Status("VmHWM"); err != nil {
			b.Fatal(err)
		}
		u.sampled = peak.Load()
		benchRow(fmt.Sprintf("API memory while streaming a %d MB upload (cmd/api as its own process, MAX_FILE_SIZE 128 MiB)", uploadSize>>20),
			fmt.Sprintf("peak RSS +%.1f MB (sampled +%.1f MB) in %.1f s", mb(u.hwm-u.base), mb(u.sampled-u.base), u.took.Seconds()),
			fmt.Sprintf("RSS before: %.1f MB; target: growth under 32 MB", mb(u.base)),
			fmt.Sprintf("%.1f%% of the upload", 100*float64(u.hwm-u.base)/uploadSize))
	})
	for b.Loop() {
	}
	u := &uploadOnce
	b.ReportMetric(mb(u.hwm-u.base), "rss-growth-MB")
	b.ReportMetric(mb(u.sampled-u.base), "rss-growth-sampled-MB")
	b.ReportMetric(100*float64(u.hwm-u.base)/uploadSize, "growth-%-of-upload")
	b.ReportMetric(float64(uploadSize)/(1<<20)/u.took.Seconds(), "upload-MB/s")
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// textStream is an endless plain-text document, produced as it is read.
type textStream struct {
	line int
	buf  []byte
}

func (t *textStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(t.buf) == 0 {
			t.line++
			t.buf = fmt.Appendf(t.buf, "Line %d: the water cycle moves water between the oceans, the air and the land.\n", t.line)
		}
		c := copy(p[n:], t.buf)
		t.buf = t.buf[c:]
		n += c
	}
	return n, nil
}

// freePort returns a loopback TCP port free at the time of the call.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitHealthy polls url's /healthz until it answers 200, failing if the
// process exits or a minute passes first.
func waitHealthy(tb testing.TB, p *childproc.Proc, url string) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s at %s not healthy after a minute (%v):\n%s", p.Name, url, err, p.Output())
		}
		select {
		case <-p.Done():
			tb.Fatalf("%s exited before it was healthy:\n%s", p.Name, p.Output())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
