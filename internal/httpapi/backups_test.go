package httpapi

import (
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestOpenAPIBackupSchemasMatchJSON checks the backup schemas against
// fully populated manifests, as TestOpenAPISchemasMatchJSON does the
// others: each validates, and its properties are exactly the JSON's fields.
func TestOpenAPIBackupSchemasMatchJSON(t *testing.T) {
	doc := loadSpec(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := quizflow.Backup{ID: "20260102T030405Z", Status: quizflow.BackupFailed, Trigger: "manual", Version: "v",
		Database: "d", Bucket: "b", ArchiveKey: "k", StartedAt: now, EndedAt: now, Consistency: "snapshot",
		Collections: []quizflow.BackupCollection{{Name: "users", Documents: 1, Bytes: 2, Indexes: 1}}, Documents: 1, Bytes: 2,
		ArchiveBytes: 3, SHA256: "ab", Files: &quizflow.BackupFiles{IndexKey: "i", Prefix: "p", Objects: 1, Bytes: 2, Copied: 1},
		Verification: quizflow.BackupVerification{OK: false, CheckedAt: now, Documents: 1, Error: "e"}}
	checkSchemas(t, doc, map[string]any{
		"Backup":             m,
		"BackupCollection":   m.Collections[0],
		"BackupFiles":        m.Files,
		"BackupVerification": m.Verification,
		"BackupStarted":      backupStartResponse{Backup: &quizflow.BackupStart{ID: m.ID, TaskID: "t", Status: "queued"}},
		"BackupList":         backupListResponse{Backups: []quizflow.Backup{m}},
	})
}
