package e2e_test

import (
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/childproc"
	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/fakeopenai"
)

// modelDelay is how long the fake model takes over every call in
// BenchmarkWorkerScaling.
const modelDelay = 500 * time.Millisecond

// scaleProcs are the worker process counts BenchmarkWorkerScaling runs.
var scaleProcs = []int{1, 2, 4}

var scaleOnce struct {
	sync.Once
	store string
	rate  map[int]float64 // worker processes -> documents/s
	docs  map[int]int
}

// BenchmarkWorkerScaling: small documents end to end with a model that
// takes 500 ms per call (internal/fakeopenai), worked by 1, 2 and 4 real
// cmd/worker processes (WORKER_CONCURRENCY 2 each) in turn, with the API in
// this process, each count on a fresh stack; documents/s of each and the
// ratio to one process. Target:
// 4 processes at least 3.6x one.
//
// QUIZFLOW_BENCH_SCALE_DOCS (default 30) sets the documents per worker
// process of each run (so each run takes about as long).
func BenchmarkWorkerScaling(b *testing.B) {
	scaleOnce.Do(func() {
		perProc := envInt(b, "QUIZFLOW_BENCH_SCALE_DOCS", 30)
		fake := fakeopenai.New()
		b.Cleanup(fake.Close)
		fake.SetScript(func(*fakeopenai.Call) fakeopenai.Action { return fakeopenai.Action{Delay: modelDelay} })
		sc := &scaleOnce
		sc.rate, sc.docs = map[int]float64{}, map[int]int{}
		bin := childproc.Binary(b, "worker")
		for _, n := range scaleProcs {
			// A fresh stack (database, Redis) for each count: the store's
			// cost grows with what it holds, and later runs must not pay
			// for the earlier ones' documents.
			var vars map[string]string
			s := setup(b, func(o *setupOptions) {
				benchEnv(o)
				o.workers = 0 // the workers are the child processes below
				o.env["OPENAI_API_KEY"], o.env["OPENAI_BASE_URL"], o.env["OPENAI_MODEL"] = "sk-bench", fake.URL, "gpt-4o-mini"
				o.env["WORKER_CONCURRENCY"], o.env["METRICS_ADDR"] = "2", "off"
				o.vars = func(v map[string]string) { vars = maps.Clone(v) }
			})
			sc.store = storeName(b, s.app.Store.Database(), embeddedStore)
			// 16 uploaders (8 users, two each): more than the 8 task
			// slots of 4 processes, so the queues never run dry.
			var cs []*client.Client
			for i := range 8 {
				c := s.user(fmt.Sprintf("Scale%d", i))
				cs = append(cs, c, c)
			}
			var ws []*childproc.Proc
			for i := range n {
				ws = append(ws, childproc.Start(b, fmt.Sprintf("worker-%d-of-%d", i+1, n), bin, vars))
			}
			documents(b, cs[:2*n], 0, 2*n) // warm up: the processes are up and connected
			docs := perProc * n
			sc.rate[n], sc.docs[n] = documents(b, cs, 2*n, docs), docs
			for _, w := range ws {
				w.Kill(b)
			}
		}
		for _, n := range scaleProcs {
			base := fmt.Sprintf("1 process: %.2f docs/s", sc.rate[1])
			if n == 1 {
				base = "(the base)"
			}
			benchRow(fmt.Sprintf("worker scaling, %v model per call: %d cmd/worker process(es) (concurrency 2 each), %d docs [%s]", modelDelay, n, sc.docs[n], sc.store),
				fmt.Sprintf("%.2f docs/s", sc.rate[n]), base, fmt.Sprintf("%.2fx", sc.rate[n]/sc.rate[1]))
		}
	})
	for b.Loop() {
	}
	sc := &scaleOnce
	for _, n := range scaleProcs {
		b.ReportMetric(sc.rate[n], fmt.Sprintf("docs/s-%dproc", n))
	}
	b.ReportMetric(sc.rate[4]/sc.rate[1], "scaling-4-to-1")
}
