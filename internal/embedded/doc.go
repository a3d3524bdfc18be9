// Package embedded runs QuizFlow's backing services inside the current
// process (or as a supervised child process) so that `quizflow dev` and the
// tests need nothing installed beyond redis-server.
//
// Each Start function listens on 127.0.0.1 only, on a port chosen by the
// operating system, and returns once the service answers its own protocol:
//
//   - [StartRedis]: a redis-server child process (or miniredis when allowed
//     and no redis-server is installed), configured with
//     maxmemory-policy noeviction as asynq requires.
//   - [StartMongo]: FerretDB v1 embedded with its SQLite handler, speaking
//     the MongoDB wire protocol.
//   - [StartS3]: gofakes3 served over HTTP, in memory or persisted to a
//     bolt file.
//   - [StartSMTP]: an SMTP sink that keeps every message in memory.
//
// Every service is stopped with its Close method. Close waits until the
// service has stopped, so a persistent service can be started again on the
// same directory right afterwards.
package embedded
