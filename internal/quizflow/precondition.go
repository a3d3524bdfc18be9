package quizflow

import "context"

type ifVersionKey struct{}

// WithIfVersion returns ctx carrying a precondition of a quiz edit: the
// quiz must still be at version v (a client's If-Match), or the edit is
// refused with ECONFLICT instead of applied over a change it has not seen.
func WithIfVersion(ctx context.Context, v int) context.Context {
	return context.WithValue(ctx, ifVersionKey{}, v)
}

// IfVersion returns the version WithIfVersion put in ctx, if any.
func IfVersion(ctx context.Context) (int, bool) {
	v, ok := ctx.Value(ifVersionKey{}).(int)
	return v, ok
}
