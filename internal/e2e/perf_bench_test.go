package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/jobwatch"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// The benchmarks below measure issue 14's goals, each side by side with a
// baseline measured in the same run, and report the ratio. Store: embedded
// FerretDB (SQLite backend); Redis: redis-server on loopback. They report
// figures and never fail on a time. Each measures once, however many
// iterations -benchtime asks for, and reports the same figures.

// load runs conns clients sending GET url (with token) for d and returns
// requests/s and the 50th and 99th percentile latencies.
func load(tb testing.TB, url, token string, conns int, d time.Duration) (rps float64, p50, p99 time.Duration) {
	tb.Helper()
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", url, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				start := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		tb.Logf("%s: %d failed requests", url, n)
	}
	if len(lat) == 0 {
		return 0, 0, 0
	}
	slices.Sort(lat)
	return float64(len(lat)) / d.Seconds(), lat[len(lat)/2], lat[len(lat)*99/100]
}

// bareEcho serves a bare Echo handler answering a small JSON object, the
// framework's own speed on this machine, and returns its URL.
func bareEcho(tb testing.TB) string {
	tb.Helper()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/job", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"id": "job_x", "status": "succeeded", "progress": 100})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: e}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/job"
}

func benchEnv(o *setupOptions) {
	o.env["PLAN_FREE_QUIZZES_PER_MONTH"] = "1000000"
	o.env["WORKER_CONCURRENCY"] = "8"
}

// smallDoc is a small text document unique to i, so the quiz cache does
// not answer it.
func smallDoc(i int) []byte {
	var b bytes.Buffer
	for p := range 4 {
		fmt.Fprintf(&b, "Section %d of note %d. The water cycle moves water between the oceans, the air and the land; evaporation, condensation and precipitation repeat without end. Sample %d-%d.\n\n", p, i, i, p)
	}
	return b.Bytes()
}

var pollOnce struct {
	sync.Once
	qf, bare           float64
	qf50, qf99, bare99 time.Duration
}

// BenchmarkStatusPoll: 256 clients polling GET /v1/jobs/{id} of a finished
// job, against a bare Echo handler in the same process. Target: at least
// 25% of the bare handler's requests/s, p99 under 50 ms.
func BenchmarkStatusPoll(b *testing.B) {
	const conns, d = 256, 5 * time.Second
	pollOnce.Do(func() {
		s := setup(b, benchEnv)
		c := s.user("Poller")
		up, err := c.UploadReader(context.Background(), "notes.txt", bytes.NewReader(smallDoc(0)), map[string]string{"question_count": "3"})
		if err != nil {
			b.Fatal(err)
		}
		waitJob(b, c, up.Job.ID)
		bare := bareEcho(b)
		load(b, bare, "", conns, time.Second) // warm up both
		load(b, s.url+"/v1/jobs/"+up.Job.ID, c.Token, conns, time.Second)
		pollOnce.bare, _, pollOnce.bare99 = load(b, bare, "", conns, d)
		pollOnce.qf, pollOnce.qf50, pollOnce.qf99 = load(b, s.url+"/v1/jobs/"+up.Job.ID, c.Token, conns, d)
		p := &pollOnce
		benchRow(fmt.Sprintf("%d clients polling `GET /v1/jobs/{id}` for %v [%s]", conns, d, storeName(b, s.app.Store.Database(), embeddedStore)),
			fmt.Sprintf("%.0f req/s, p50 %v, p99 %v", p.qf, p.qf50.Round(100*time.Microsecond), p.qf99.Round(100*time.Microsecond)),
			fmt.Sprintf("a bare Echo handler: %.0f req/s, p99 %v", p.bare, p.bare99.Round(100*time.Microsecond)),
			fmt.Sprintf("%.1f%%", 100*p.qf/p.bare))
	})
	for b.Loop() {
	}
	p := &pollOnce
	b.ReportMetric(p.qf, "quizflow-req/s")
	b.ReportMetric(p.bare, "bare-echo-req/s")
	b.ReportMetric(100*p.qf/p.bare, "ratio-%")
	b.ReportMetric(float64(p.qf50.Microseconds())/1000, "quizflow-p50-ms")
	b.ReportMetric(float64(p.qf99.Microseconds())/1000, "quizflow-p99-ms")
	b.ReportMetric(float64(p.bare99.Microseconds())/1000, "bare-p99-ms")
}

// documents uploads n unique small documents from clients clients (users)
// and waits for each quiz; it returns documents/s end to end.
func documents(b *testing.B, cs []*client.Client, from, n int) float64 {
	b.Helper()
	rate, _ := documentsWithin(b, cs, from, n, 0)
	return rate
}

// documentsWithin is documents, except that with a positive limit it
// stops at limit: no upload starts after it, and a job not finished by
// then is left running and not counted. It returns documents/s over the
// documents that finished, and how many did.
func documentsWithin(b *testing.B, cs []*client.Client, from, n int, limit time.Duration) (float64, int) {
	b.Helper()
	var next, done atomic.Int64
	next.Store(int64(from))
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= from+n || (limit > 0 && time.Since(start) > limit) {
					return
				}
				up, err := c.UploadReader(context.Background(), fmt.Sprintf("note-%d.txt", i), bytes.NewReader(smallDoc(i)), map[string]string{"question_count": "3"})
				if err != nil {
					b.Error(err)
					return
				}
				var j *quizflow.Job
				if limit > 0 {
					if j = jobBy(b, c, up.Job.ID, start.Add(limit)); j == nil {
						return // still running at the limit
					}
				} else {
					j = waitJob(b, c, up.Job.ID)
				}
				if j.Status != quizflow.StatusSucceeded {
					b.Errorf("job %s: %s %+v", j.ID, j.Status, j.Error)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds(), int(done.Load())
}

// jobBy waits as waitJob does until job id finishes, but only until
// deadline: it returns nil if the job is still unfinished then.
func jobBy(b *testing.B, c *client.Client, id string, deadline time.Time) *quizflow.Job {
	b.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	hub, _ := jobEvents.Load(c.BaseURL)
	h, _ := hub.(*jobwatch.Hub)
	changed, stop := h.Watch(id)
	defer stop()
	for {
		j, err := c.Job(ctx, id)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			b.Errorf("job %s: %v", id, err)
			return nil
		}
		if j.Status == quizflow.StatusSucceeded || j.Status == quizflow.StatusFailed {
			return j
		}
		select {
		case <-changed:
		case <-time.After(time.Second):
		case <-ctx.Done():
			return nil
		}
	}
}

// noopTasks runs n no-op asynq tasks through its own queue on redisURL
// (enqueued from 8 goroutines, 8 handlers) and returns tasks/s.
func noopTasks(b *testing.B, redisURL string, n int) float64 {
	b.Helper()
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		b.Fatal(err)
	}
	var done atomic.Int64
	all := make(chan struct{})
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: 8, Queues: map[string]int{"bench_noop": 1},
		TaskCheckInterval: 10 * time.Millisecond, LogLevel: asynq.ErrorLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc("bench:noop", func(context.Context, *asynq.Task) error {
		if done.Add(1) == int64(n) {
			close(all)
		}
		return nil
	})
	if err := srv.Start(mux); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	cl := asynq.NewClient(opt)
	defer cl.Close()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				if _, err := cl.Enqueue(asynq.NewTask("bench:noop", nil), asynq.Queue("bench_noop")); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		b.Fatalf("no-op tasks: %d of %d done", done.Load(), n)
	}
	return float64(n) / time.Since(start).Seconds()
}

// pipeFigures are one store's pipeline figures.
type pipeFigures struct {
	sync.Once
	store               string
	empty, stored, noop float64
	docs, seeded        int
	storedDocs          int
	seedTime            time.Duration
}

var pipeOnce pipeFigures

// embeddedStore names the backend of the tests' embedded FerretDB.
const embeddedStore = "SQLite (embedded)"

// storedLimit bounds the time BenchmarkPipeline's run on the seeded store
// starts uploads.
const storedLimit = 60 * time.Second

// BenchmarkPipeline: small text documents end to end (upload -> quiz,
// offline generator, 8 clients) on an empty store, against raw asynq no-op
// tasks on the same Redis (a document is 3 tasks: extract, generate, and
// the pipeline's own); then the same again after 10,000 documents (with
// their jobs, quizzes and the rest, as the pipeline writes them) were
// written straight into the store. The ratio of the two document rates is
// the "flat cost" figure (1 is flat). Targets: 150 documents/s, flat cost
// at least 0.8. The store is the embedded FerretDB (SQLite).
//
// QUIZFLOW_BENCH_DOCS (default 100) sets the documents of each run and
// QUIZFLOW_BENCH_SEED (default 10000) the documents seeded, for quick runs.
func BenchmarkPipeline(b *testing.B) {
	pipeOnce.Do(func() { measurePipeline(b, &pipeOnce, embeddedStore, benchEnv) })
	for b.Loop() {
	}
	pipeOnce.report(b)
}

// measurePipeline measures BenchmarkPipeline's figures into p on a stack
// set up with opts, whose store's FerretDB runs on backend, and prints
// their rows.
func measurePipeline(b *testing.B, p *pipeFigures, backend string, opts ...func(*setupOptions)) {
	p.docs, p.seeded = envInt(b, "QUIZFLOW_BENCH_DOCS", 100), envInt(b, "QUIZFLOW_BENCH_SEED", 10000)
	s := setup(b, opts...)
	p.store = storeName(b, s.app.Store.Database(), backend)
	cs := make([]*client.Client, 8)
	for i := range cs {
		cs[i] = s.user(fmt.Sprintf("Bench%d", i))
	}
	tmpl := templateUpload(b, cs[0])
	documents(b, cs, 1000, 8) // warm up
	p.noop = noopTasks(b, s.env.RedisURL, 3000)
	p.empty = documents(b, cs, 0, p.docs)
	start := time.Now()
	seedStore(b, s.app.Store.Database(), tmpl, p.seeded)
	p.seedTime = time.Since(start)
	// Bounded in time: with the store's cost growing with its size,
	// 100 documents (or one) could take far longer than the whole
	// bench; what finishes within the limit is counted.
	p.stored, p.storedDocs = documentsWithin(b, cs, p.docs, p.docs, storedLimit)
	benchRow(fmt.Sprintf("small text documents end to end (upload -> quiz, offline generator, 8 clients), %d docs, empty store [%s]", p.docs, p.store),
		fmt.Sprintf("%.1f docs/s", p.empty),
		fmt.Sprintf("raw asynq no-op tasks on the same Redis: %.0f tasks/s (%.0f \"documents\" of 3 tasks)", p.noop, p.noop/3),
		fmt.Sprintf("%.2f%%", 100*p.empty/(p.noop/3)))
	benchRow(fmt.Sprintf("the same after %d documents (with their jobs, quizzes, quota and usage records) were stored: %d of %d docs finished within %v [%s]", p.seeded, p.storedDocs, p.docs, storedLimit, p.store),
		fmt.Sprintf("%.2f docs/s", p.stored),
		fmt.Sprintf("the empty store above: %.1f docs/s (seeding took %.1f s)", p.empty, p.seedTime.Seconds()),
		fmt.Sprintf("%.2f (flat cost)", p.stored/p.empty))
}

// report reports the figures as the benchmark's metrics.
func (p *pipeFigures) report(b *testing.B) {
	b.ReportMetric(p.empty, "docs/s-empty")
	b.ReportMetric(p.stored, "docs/s-stored")
	b.ReportMetric(p.noop, "noop-tasks/s")
	b.ReportMetric(100*p.empty/(p.noop/3), "ratio-to-noop-%")
	b.ReportMetric(p.stored/p.empty, "flat-cost-ratio")
	b.ReportMetric(p.seedTime.Seconds(), "seed-s")
	b.ReportMetric(float64(p.storedDocs), "docs-stored-run")
}

// uploadIDs name the records of one finished upload, the template of the
// seeded ones.
type uploadIDs struct {
	owner, doc, job string
}

// templateUpload runs one document through the pipeline for c and returns
// the IDs of what it left in the store.
func templateUpload(b *testing.B, c *client.Client) uploadIDs {
	b.Helper()
	up, err := c.UploadReader(context.Background(), "template.txt", bytes.NewReader(smallDoc(-1)), map[string]string{"question_count": "3"})
	if err != nil {
		b.Fatal(err)
	}
	j := waitJob(b, c, up.Job.ID)
	if j.Status != quizflow.StatusSucceeded {
		b.Fatalf("template job %s: %s %+v", j.ID, j.Status, j.Error)
	}
	return uploadIDs{owner: up.Document.OwnerID, doc: up.Document.ID, job: up.Job.ID}
}

// seedStore writes n copies of the template upload's records straight
// into the store: every record of any collection that names its document,
// job or quiz (the document, job, quiz, quiz cache key, quota charge, ...),
// each copy with fresh IDs and cache key and its owner cycling through the
// store's users. Inserts go in batches of 1,000 (InsertMany, unordered).
func seedStore(b *testing.B, db *mongo.Database, tmpl uploadIDs, n int) {
	b.Helper()
	ctx := context.Background()
	suffix := func(id string) string { _, s, _ := strings.Cut(id, "_"); return s }
	marks := []string{suffix(tmpl.doc), suffix(tmpl.job)}
	cols, err := db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		b.Fatal(err)
	}
	templates := map[string][]string{} // collection -> canonical extended JSON of each record
	kept := 0
	for _, col := range cols {
		cur, err := db.Collection(col).Find(ctx, bson.M{})
		if err != nil {
			b.Fatalf("read %s: %v", col, err)
		}
		var raws []bson.Raw
		if err := cur.All(ctx, &raws); err != nil {
			b.Fatalf("read %s: %v", col, err)
		}
		for _, r := range raws {
			js, err := bson.MarshalExtJSON(r, true, false)
			if err != nil {
				b.Fatal(err)
			}
			if slices.ContainsFunc(marks, func(m string) bool { return bytes.Contains(js, []byte(m)) }) {
				templates[col] = append(templates[col], string(js))
				kept++
			}
		}
	}
	if len(templates["documents"]) != 1 || len(templates["jobs"]) != 1 || len(templates["quizzes"]) != 1 {
		b.Fatalf("template upload: want one document, job and quiz record, found %v", templates)
	}
	// The quiz's cache key is the _id of its quiz_cache_keys record: each
	// copy gets its own.
	var quiz struct {
		CacheKey string `bson:"cache_key"`
	}
	if err := bson.UnmarshalExtJSON([]byte(templates["quizzes"][0]), true, &quiz); err != nil {
		b.Fatal(err)
	}
	// The quota slot the upload took ("<counter>#<n>", unique per counter)
	// is named in its slot and charge records: each copy takes a slot of
	// its own, far above those the benchmark's uploads take.
	var slot string
	if recs := templates["quota_slots"]; len(recs) == 1 {
		var r struct {
			ID string `bson:"_id"`
		}
		if err := bson.UnmarshalExtJSON([]byte(recs[0]), true, &r); err != nil {
			b.Fatal(err)
		}
		slot = r.ID
	}
	slotCounter, _, _ := strings.Cut(slot, "#")
	var owners []string
	cur, err := db.Collection("users").Find(ctx, bson.M{})
	if err != nil {
		b.Fatal(err)
	}
	var users []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &users); err != nil {
		b.Fatal(err)
	}
	for _, u := range users {
		owners = append(owners, u.ID)
	}
	batches := map[string][]any{}
	flush := func(col string) {
		if len(batches[col]) == 0 {
			return
		}
		if _, err := db.Collection(col).InsertMany(ctx, batches[col], options.InsertMany().SetOrdered(false)); err != nil {
			b.Fatalf("seed %s: %v", col, err)
		}
		batches[col] = batches[col][:0]
	}
	for i := range n {
		sum := sha256.Sum256([]byte(fmt.Sprintf("seed %d %s", i, quiz.CacheKey)))
		pairs := []string{
			suffix(tmpl.doc), suffix(quizflow.NewID("doc")),
			suffix(tmpl.job), suffix(quizflow.NewID("job")),
			tmpl.owner, owners[i%len(owners)],
		}
		if quiz.CacheKey != "" {
			pairs = append(pairs, quiz.CacheKey, hex.EncodeToString(sum[:])[:min(len(quiz.CacheKey), 64)])
		}
		if slot != "" { // first: the slot names the owner too, and the earliest match wins
			newSlot := fmt.Sprintf("%s#%d", strings.ReplaceAll(slotCounter, tmpl.owner, owners[i%len(owners)]), 100000+i)
			pairs = append([]string{slot, newSlot}, pairs...)
		}
		rep := strings.NewReplacer(pairs...)
		for col, recs := range templates {
			for _, js := range recs {
				var d bson.D
				if err := bson.UnmarshalExtJSON([]byte(rep.Replace(js)), true, &d); err != nil {
					b.Fatal(err)
				}
				batches[col] = append(batches[col], d)
				if len(batches[col]) == 1000 {
					flush(col)
				}
			}
		}
	}
	for col := range batches {
		flush(col)
	}
	b.Logf("seeded %d uploads of %d records each (%v)", n, kept, slices.Sorted(maps.Keys(templates)))
}

// envInt reads a positive count from the environment variable name, or
// returns def when it is unset.
func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive count", name, v)
	}
	return n
}

// storeName names the record store behind db, as the table shows it:
// "FerretDB <version>/<backend>" for FerretDB (which cannot tell its
// backend, so the caller names it), "MongoDB <version>" otherwise.
func storeName(tb testing.TB, db *mongo.Database, backend string) string {
	tb.Helper()
	var info struct {
		Version  string `bson:"version"`
		FerretDB string `bson:"ferretdbVersion"`
	}
	if err := db.RunCommand(context.Background(), bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		tb.Fatalf("buildInfo: %v", err)
	}
	if info.FerretDB != "" {
		v := " " + info.FerretDB
		if info.FerretDB == "unknown" { // a build without FerretDB's version stamp
			v = ""
		}
		return "FerretDB" + v + "/" + backend
	}
	return "MongoDB " + info.Version
}

// benchRow prints one row of issue 14's table: what was measured,
// QuizFlow's figure, the baseline measured in the same run, and the ratio.
// `make bench` collects these lines (they start with "| ") into one table
// after the run.
func benchRow(what, quizflow, baseline, ratio string) {
	fmt.Printf("| %s | %s | %s | %s |\n", what, quizflow, baseline, ratio)
}
