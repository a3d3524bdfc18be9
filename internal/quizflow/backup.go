package quizflow

import (
	"context"
	"time"
)

// Backup statuses.
const (
	BackupSucceeded = "succeeded"
	BackupFailed    = "failed"
)

// Backup is one backup of the database (and of the files), as its
// manifest, a JSON object beside the archive, describes it. A backup whose
// manifest is missing never finished; only Status BackupSucceeded (the
// archive was read back and matched) counts as a backup.
type Backup struct {
	ID string `json:"id"`
	// Status is BackupSucceeded or BackupFailed (the archive did not
	// verify: see Verification.Error).
	Status string `json:"status"`
	// Trigger is "scheduled" (BACKUP_CRON) or "manual" (CLI or API).
	Trigger string `json:"trigger"`
	// Version is the QuizFlow build that took it.
	Version  string `json:"version"`
	Database string `json:"database"`
	// Bucket and ArchiveKey locate the mongodump archive (gzip).
	Bucket     string    `json:"bucket"`
	ArchiveKey string    `json:"archive_key"`
	StartedAt  time.Time `json:"started_at"`
	EndedAt    time.Time `json:"ended_at"`
	// Consistency is "snapshot" (one point in time, on a replica set) or
	// "collection" (each collection read as of its own moment).
	Consistency string             `json:"consistency"`
	Collections []BackupCollection `json:"collections"`
	// Documents and Bytes sum the collections (BSON bytes, uncompressed).
	Documents int64 `json:"documents"`
	Bytes     int64 `json:"bytes"`
	// ArchiveBytes and SHA256 are of the archive object as stored.
	ArchiveBytes int64              `json:"archive_bytes"`
	SHA256       string             `json:"sha256"`
	Files        *BackupFiles       `json:"files,omitempty"`
	Verification BackupVerification `json:"verification"`
}

// BackupCollection is one collection of a backup.
type BackupCollection struct {
	Name      string `json:"name"`
	Documents int64  `json:"documents"`
	Bytes     int64  `json:"bytes"`
	Indexes   int    `json:"indexes"`
}

// BackupFiles says which file objects (uploads, texts, exports) a backup
// refers to: IndexKey lists each key with its ETag; copies live under
// Prefix in the backup bucket.
type BackupFiles struct {
	IndexKey string `json:"index_key"`
	Prefix   string `json:"prefix"`
	Objects  int    `json:"objects"`
	Bytes    int64  `json:"bytes"`
	// Copied is how many objects this backup copied (new or changed since
	// the previous one); the others were already there.
	Copied int `json:"copied"`
}

// BackupVerification is the result of reading the archive back from the
// store after it was written.
type BackupVerification struct {
	OK        bool      `json:"ok"`
	CheckedAt time.Time `json:"checked_at"`
	// Documents is how many documents the read-back decoded.
	Documents int64  `json:"documents"`
	Error     string `json:"error,omitempty"`
}

// BackupStart is the answer to a request for a backup now.
type BackupStart struct {
	ID     string `json:"id"`
	TaskID string `json:"task_id"`
	Status string `json:"status"`
}

// BackupService lets operators take and list backups.
type BackupService interface {
	// StartBackup enqueues a backup to run now. It returns EFORBIDDEN
	// unless user is an operator, and EUNAVAILABLE when the queue refuses.
	StartBackup(ctx context.Context, user *User) (*BackupStart, error)
	// Backups lists the backups, newest first. It returns EFORBIDDEN
	// unless user is an operator.
	Backups(ctx context.Context, user *User) ([]Backup, error)
}
