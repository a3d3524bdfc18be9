package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/metrics/metricstest"
	"github.com/quizflow/quizflow/internal/testenv"
	"github.com/quizflow/quizflow/jobs"
)

// taskSeries is one expected quizflow_tasks_total series.
type taskSeries struct {
	typ, outcome string
	n            float64
}

// checkTasks compares m's quizflow_tasks_total with want, which must list
// every series.
func checkTasks(t *testing.T, m *metrics.Registry, want []taskSeries) metricstest.Families {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	mfs := metricstest.Parse(t, rec.Body)
	for _, w := range want {
		got, _ := mfs.Value("quizflow_tasks_total", map[string]string{"type": w.typ, "outcome": w.outcome})
		if got != w.n {
			t.Errorf("tasks{type=%q,outcome=%q} = %v, want %v", w.typ, w.outcome, got, w.n)
		}
	}
	if n := len(mfs["quizflow_tasks_total"].GetMetric()); n != len(want) {
		t.Errorf("%d task series, want %d", n, len(want))
	}
	return mfs
}

// TestTaskMetricsOutcomes calls the middleware directly, outside an asynq
// server (so without a retry count: a plain error counts as "retry").
func TestTaskMetricsOutcomes(t *testing.T) {
	m := metrics.New()
	run := func(typ string, h func(ctx context.Context) error) error {
		next := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error { return h(ctx) })
		return taskMetrics(m)(next).ProcessTask(context.Background(), asynq.NewTask(typ, nil))
	}
	for _, tc := range []struct {
		typ  string
		skip bool // the handler calls markSkipped
		err  error
	}{
		{jobs.TypeDocumentExtract, false, nil},
		{jobs.TypeDocumentExtract, false, nil},
		{"rogue:type", false, nil},
		{jobs.TypeQuizGenerate, true, nil},
		{jobs.TypeQuizExport, false, fmt.Errorf("unreadable: %w", asynq.SkipRetry)},
		{jobs.TypeMaintenanceCleanup, false, fmt.Errorf("cancelled: %w", asynq.RevokeTask)},
		{jobs.TypeEmailSend, true, errors.New("store outage")}, // a skip mark does not hide an error
	} {
		err := run(tc.typ, func(ctx context.Context) error {
			if tc.skip {
				markSkipped(ctx)
			}
			return tc.err
		})
		if err != tc.err {
			t.Errorf("%s: the middleware returned %v, want %v", tc.typ, err, tc.err)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the middleware swallowed a panic")
			}
		}()
		_ = run(jobs.TypeMaintenanceBackup, func(context.Context) error { panic("handler bug") })
	}()

	mfs := checkTasks(t, m, []taskSeries{
		{jobs.TypeDocumentExtract, outcomeSuccess, 2},
		{unknownType, outcomeSuccess, 1}, // types outside jobs.Types share one label
		{jobs.TypeQuizGenerate, outcomeSkipped, 1},
		{jobs.TypeQuizExport, outcomeFailed, 1},
		{jobs.TypeMaintenanceCleanup, outcomeSkipped, 1},
		{jobs.TypeEmailSend, outcomeRetry, 1},
		{jobs.TypeMaintenanceBackup, outcomeRetry, 1}, // a panic is an error to asynq
	})
	if n, ok := mfs.Value("quizflow_task_duration_seconds", map[string]string{"type": jobs.TypeDocumentExtract}); !ok || n != 2 {
		t.Errorf("extract duration count = %v (present %v), want 2", n, ok)
	}
}

func TestTaskMetricsNilRegistry(t *testing.T) {
	want := errors.New("boom")
	h := taskMetrics(nil)(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		markSkipped(ctx) // no mark in ctx: does nothing
		return want
	}))
	if err := h.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeEmailSend, nil)); err != want {
		t.Errorf("nil registry's middleware changed the error: %v", err)
	}
}

// TestTaskMetricsLastRetry runs tasks through a real asynq server, which
// alone sets the retry count and maximum the outcome depends on: the last
// failing attempt counts as "failed", earlier ones as "retry".
func TestTaskMetricsLastRetry(t *testing.T) {
	rdb := testenv.Redis(t)
	m := metrics.New()
	ran := make(chan string, 16)
	mux := asynq.NewServeMux()
	mux.Use(func(next asynq.Handler) asynq.Handler {
		// Outside taskMetrics: tells the test an attempt was counted.
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			defer func() { ran <- t.Type() }()
			return next.ProcessTask(ctx, t)
		})
	}, taskMetrics(m))
	mux.HandleFunc(jobs.TypeEmailSend, func(context.Context, *asynq.Task) error { return errors.New("smtp outage") })
	mux.HandleFunc(jobs.TypeMaintenanceBackup, func(context.Context, *asynq.Task) error { panic("handler bug") })
	mux.HandleFunc(jobs.TypeQuizExport, func(context.Context, *asynq.Task) error {
		return fmt.Errorf("unreadable: %w", asynq.SkipRetry)
	})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:       2,
		Queues:            map[string]int{"default": 1},
		RetryDelayFunc:    func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		TaskCheckInterval: 20 * time.Millisecond,
		// Retries wait in the retry set; move them back promptly.
		DelayedTaskCheckInterval: 20 * time.Millisecond,
		LogLevel:                 asynq.FatalLevel,
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClientFromRedisClient(rdb)
	for typ, maxRetry := range map[string]int{jobs.TypeEmailSend: 2, jobs.TypeMaintenanceBackup: 0, jobs.TypeQuizExport: 5} {
		if _, err := client.Enqueue(asynq.NewTask(typ, nil), asynq.MaxRetry(maxRetry)); err != nil {
			t.Fatal(err)
		}
	}
	const attempts = 3 + 1 + 1 // email: MaxRetry(2) is three attempts
	timeout := time.After(30 * time.Second)
	for i := range attempts {
		select {
		case <-ran:
		case <-timeout:
			t.Fatalf("%d of %d attempts ran", i, attempts)
		}
	}
	mfs := checkTasks(t, m, []taskSeries{
		{jobs.TypeEmailSend, outcomeRetry, 2},
		{jobs.TypeEmailSend, outcomeFailed, 1},
		{jobs.TypeMaintenanceBackup, outcomeFailed, 1},
		{jobs.TypeQuizExport, outcomeFailed, 1},
	})
	if n, ok := mfs.Value("quizflow_task_duration_seconds", map[string]string{"type": jobs.TypeEmailSend}); !ok || n != 3 {
		t.Errorf("email duration count = %v (present %v), want 3", n, ok)
	}
}
