package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func (s *Server) getJob(c echo.Context) error {
	job, err := s.Jobs.Job(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (s *Server) listJobs(c echo.Context) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	js, next, err := s.Jobs.Jobs(c.Request().Context(), currentUser(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listing("jobs", js, next))
}

// Bounds of a job event stream. A stream with JobEvents reads the job
// when a change is signalled and only every streamSafetyPoll besides, in
// case a signal was lost; without JobEvents it polls every streamPoll.
// In production the reads are answered from Redis (internal/jobcache).
const (
	streamPoll       = 250 * time.Millisecond
	streamSafetyPoll = 5 * time.Second
	streamHeartbeat  = 15 * time.Second
	streamMaxAge     = 10 * time.Minute
)

// streamJob sends the job as Server-Sent Events (`event: job`, data the
// job's JSON) whenever its status, stage, progress or message changes,
// until it finishes, the client leaves, or streamMaxAge passes (clients
// then reconnect). A user may hold at most Deps.StreamCap's number of
// streams open at once (429 past it). It reads the job when JobEvents
// signals a change (made in this process, or relayed from the others over
// Redis), and every streamSafetyPoll besides.
// Comments keep idle connections open through proxies.
func (s *Server) streamJob(c echo.Context) error {
	id := c.Param("id")
	user := currentUser(c)
	ctx := c.Request().Context()
	job, err := s.Jobs.Job(ctx, user, id)
	if err != nil {
		return err
	}
	refresh, release, err := s.admitStream(ctx, user.ID)
	if err != nil {
		return err
	}
	defer release()
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer
	w.WriteHeader(http.StatusOK)
	send := func(j *quizflow.Job) error {
		b, err := json.Marshal(j)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: job\ndata: %s\n\n", b); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
	key := func(j *quizflow.Job) string {
		return j.Status + "|" + j.Stage + "|" + strconv.Itoa(j.Progress) + "|" + j.Message
	}
	last := key(job)
	if err := send(job); err != nil {
		return nil
	}
	var changed <-chan struct{}
	every := streamPoll
	if s.JobEvents != nil {
		var stop func()
		changed, stop = s.JobEvents.Watch(id)
		defer stop()
		every = streamSafetyPoll
		// A change between the first read and the watch: read once more.
		if j, err := s.Jobs.Job(ctx, user, id); err == nil && key(j) != last {
			job, last = j, key(j)
			if err := send(j); err != nil {
				return nil
			}
		}
	}
	poll := time.NewTicker(every)
	defer poll.Stop()
	beat := time.NewTicker(streamHeartbeat)
	defer beat.Stop()
	deadline := time.NewTimer(streamMaxAge)
	defer deadline.Stop()
	for job.Status != quizflow.StatusSucceeded && job.Status != quizflow.StatusFailed {
		select {
		case <-ctx.Done():
			return nil
		case <-s.closing:
			return nil
		case <-deadline.C:
			return nil
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
			refresh()
			continue
		case <-changed:
		case <-poll.C:
		}
		j, err := s.Jobs.Job(ctx, user, id)
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Warn().Err(err).Str("job_id", id).Msg("job stream")
			}
			return nil // the stream is already open: end it; the client reconnects
		}
		job = j
		if k := key(j); k != last {
			last = k
			if err := send(j); err != nil {
				return nil
			}
		}
	}
	return nil
}
