package app

import (
	"context"
	"time"

	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/s3blob"
)

// openBackup builds the backup service: the database, the main bucket
// (whose files are copied) and BACKUP_BUCKET (the main one unless set).
func (a *App) openBackup(ctx context.Context) error {
	cfg := a.Cfg
	target := a.Blobs
	if cfg.BackupBucket != cfg.S3Bucket {
		var err error
		target, err = s3blob.New(ctx, s3blob.Config{
			Bucket: cfg.BackupBucket, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region,
			AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		})
		if err != nil {
			return err
		}
	}
	a.Backup = &backup.Service{
		DB: a.Store.Database(), Source: a.Blobs, Target: target, Log: a.Log,
		Config: backup.Config{Prefix: cfg.BackupPrefix, RetentionDays: cfg.BackupRetentionDays, Files: cfg.BackupFiles},
	}
	return nil
}

// backupMetrics registers the backup families on the process's registry
// and, in the background, sets the last success from the newest manifest,
// so a restarted worker reports it rather than 0.
func (a *App) backupMetrics() *metrics.Backup {
	m := metrics.NewBackup(a.Metrics)
	a.Backup.Observe = m
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if last, err := a.Backup.Latest(ctx); err == nil {
			m.LastSuccess(last.EndedAt, last.ArchiveBytes)
		}
	}()
	return m
}

// BackupAdmin is the operators' backup service of the API.
func (a *App) BackupAdmin() *backup.Admin {
	return &backup.Admin{Service: a.Backup, Queue: a.Tasks}
}
