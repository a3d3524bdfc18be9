// Package qcheck holds the quality checks every generated question must
// pass, whichever model wrote it: per-type validation, grounding in the
// cited page, near-duplicate detection, and option shuffling and answer-key
// balancing.
//
// Everything here is a pure function of its arguments (apart from the
// randomness of Shuffle and Balance, drawn from crypto/rand) and does no
// I/O, so the generation pipeline, the API's question editor and tests can
// all call it freely.
package qcheck
