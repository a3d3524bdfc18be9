package httpapi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
)

// fakeStreamCap is a StreamLimiter holding at most max streams per user
// in memory, or failing with err.
type fakeStreamCap struct {
	mu     sync.Mutex
	max    int
	err    error
	open   map[string]int
	opened []string // users, in order
	closed int
}

func newFakeStreamCap(max int) *fakeStreamCap {
	return &fakeStreamCap{max: max, open: map[string]int{}}
}

func (f *fakeStreamCap) Open(_ context.Context, user string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", false, f.err
	}
	if f.open[user] >= f.max {
		return "", false, nil
	}
	f.open[user]++
	f.opened = append(f.opened, user)
	return "s" + user, true, nil
}

func (f *fakeStreamCap) Refresh(context.Context, string, string) error { return nil }

func (f *fakeStreamCap) Close(_ context.Context, user, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open[user]--
	f.closed++
	return nil
}

// streamCapScenarios are the rows of the event stream cap; each row has a
// cap of its own.
func streamCapScenarios() []scenario {
	full, failing, room, unused := newFakeStreamCap(0), newFakeStreamCap(1), newFakeStreamCap(1), newFakeStreamCap(1)
	failing.err = errors.New("redis: connection refused")
	return []scenario{
		{name: "events past the user's stream cap", method: "GET", path: "/v1/jobs/job_running/events", token: "alice-token",
			deps: func(d *Deps) { d.StreamCap = full }, status: 429,
			want: []string{`"code":"rate_limited"`, "Too many open event streams"}, notWant: []string{"event:"},
			check: all(header("Retry-After", "15"), header(echo.HeaderContentType, echo.MIMEApplicationJSON))},
		{name: "events under the cap take a slot and give it back", method: "GET", path: "/v1/jobs/job_done/events", token: "alice-token",
			deps: func(d *Deps) { d.StreamCap = room }, status: 200, want: []string{"event: job"},
			check: func(t *testing.T, o *outcome) {
				wantEqual(t, "opened", room.opened, []string{"usr_alice"})
				wantEqual(t, "closed", room.closed, 1)
			}},
		{name: "events when the stream cap is unavailable are admitted", method: "GET", path: "/v1/jobs/job_done/events", token: "alice-token",
			deps: func(d *Deps) { d.StreamCap = failing }, status: 200, want: []string{"event: job"},
			check: func(t *testing.T, o *outcome) {
				if !strings.Contains(o.log.String(), "stream cap unavailable") {
					t.Errorf("the cap's failure was not logged: %s", o.log)
				}
			}},
		{name: "events of another user's job take no slot", method: "GET", path: "/v1/jobs/job_bob/events", token: "alice-token",
			deps: func(d *Deps) { d.StreamCap = unused }, status: 404, want: []string{`"code":"not_found"`},
			check: func(t *testing.T, o *outcome) { wantEqual(t, "opened", len(unused.opened), 0) }},
	}
}

func TestStreamCapScenarios(t *testing.T) { runScenarios(t, streamCapScenarios()) }
