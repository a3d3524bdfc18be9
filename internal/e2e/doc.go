// Package e2e holds QuizFlow's end-to-end tests: each starts the real
// program (internal/app: the Echo API and an asynq worker in-process) on the
// test's own Redis, FerretDB and S3 (internal/testenv), and drives it over
// HTTP as a user would, or through the queue as a redelivery would.
//
// Behaviour of one layer is tested next to it (handler scenarios in
// internal/httpapi, rules in internal/usecase); what lives here is what only
// the whole stack can show: a document becoming a quiz, exports a user
// downloads, exactly-once effects under redelivery, operators' endpoints.
package e2e
