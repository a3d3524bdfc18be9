// Package skewcheck holds the version-skew tests of stored records: a
// worker of one release reads documents, jobs, quizzes and exports written
// by the next release (fields it does not know) and by the previous one
// (fields it added since missing). The task payloads' own skew test is in
// package jobs. The package has no code besides its tests.
package skewcheck
