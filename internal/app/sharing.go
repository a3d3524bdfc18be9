package app

import (
	"time"

	"github.com/quizflow/quizflow/internal/httpapi"
	"github.com/quizflow/quizflow/internal/ratelimit"
)

// sharedRequestsPerMinute bounds the public share routes per client IP:
// a class of thirty taking a quiz from behind one school NAT loads it and
// submits well within it; a script guessing tokens or flooding attempts
// does not get far.
const sharedRequestsPerMinute = 120

// shareGate limits requests to /v1/shared/... per client IP, shared by
// every API replica through Redis.
func (a *App) shareGate() httpapi.Limiter {
	return ratelimit.NewGate(a.Redis, "shared", sharedRequestsPerMinute, time.Minute)
}
