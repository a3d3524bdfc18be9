package httpapi

import (
	"context"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// StreamLimiter caps the job event streams one user may hold open at once
// (ratelimit.Streams, counted across replicas in Redis).
type StreamLimiter interface {
	// Open admits one stream of user: its id and true, or false when the
	// user is at the cap.
	Open(ctx context.Context, user string) (id string, ok bool, err error)
	// Refresh keeps stream id alive for another StreamLease.
	Refresh(ctx context.Context, user, id string) error
	// Close ends stream id, making room for another.
	Close(ctx context.Context, user, id string) error
}

// StreamLease is how long an open stream counts against its user's cap
// after its last heartbeat: two heartbeats, so one late beat does not
// drop it, while a stream whose replica died stops counting soon.
const StreamLease = 2 * streamHeartbeat

// streamRetryAfter is the wait a refused stream is told: a heartbeat, by
// which one of the user's streams may have ended.
const streamRetryAfter = streamHeartbeat

// admitStream takes one of user's stream slots. It returns a release func
// (and a refresh func for each heartbeat), or ERATELIMIT when the user is
// at the cap. When the limiter fails the stream is admitted, logged: an
// outage of the cap is no reason to refuse every stream.
func (s *Server) admitStream(ctx context.Context, user string) (refresh func(), release func(), err error) {
	nop := func() {}
	if s.StreamCap == nil {
		return nop, nop, nil
	}
	id, ok, err := s.StreamCap.Open(ctx, user)
	if err != nil {
		s.Log.Warn().Err(err).Msg("stream cap unavailable; stream admitted")
		return nop, nop, nil
	}
	if !ok {
		return nil, nil, &quizflow.Error{Code: quizflow.ERATELIMIT, RetryAfter: streamRetryAfter,
			Message: "Too many open event streams for this account; close one (or poll GET /v1/jobs/{id}) and retry."}
	}
	bounded := func(f func(context.Context) error, what string) func() {
		return func() {
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := f(c); err != nil {
				s.Log.Debug().Err(err).Msg("stream cap " + what)
			}
		}
	}
	refresh = bounded(func(c context.Context) error { return s.StreamCap.Refresh(c, user, id) }, "refresh")
	release = bounded(func(c context.Context) error { return s.StreamCap.Close(c, user, id) }, "close")
	return refresh, release, nil
}
