package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
)

const backupUsage = `usage:
  quizflow backup          take a backup now (archive, verification, files, manifest, retention)
  quizflow backup list     list the backups with their manifests (JSON lines, newest first)

It works on the configuration in the environment (MONGODB_URI, S3_*,
BACKUP_BUCKET, BACKUP_PREFIX, ...: the same variables as cmd/worker).
`

const restoreUsage = `usage:
  quizflow restore [--from KEY|FILE|ID | --latest] [--database NAME] [--drop] [--files-bucket BUCKET]

Restores a backup taken by QuizFlow: the archive (an S3 key or ID in the
backup bucket, or a local file whose manifest is FILE's .manifest.json
sibling or the backup bucket's manifest of the same ID) is checked whole
against its manifest's sha256 and counts before anything is written.
  --database NAME      restore into NAME (default MONGODB_DATABASE); use a new name for a drill
  --drop               drop each collection before restoring it (else a non-empty one stops the restore)
  --files-bucket NAME  copy the backup's files back into NAME (default S3_BUCKET; "" skips files)
`

// openBackupApp opens the app of the environment's configuration.
func openBackupApp(ctx context.Context, getenv func(string) string, stderr io.Writer, role string) (*app.App, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, app.NewLogger(stderr, cfg.LogLevel).With().Str("role", role).Logger())
}

// backupCmd runs `quizflow backup [list]`.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 || (len(args) == 1 && args[0] != "list") {
		fmt.Fprint(stderr, backupUsage)
		return errUsage
	}
	a, err := openBackupApp(ctx, getenv, stderr, "backup")
	if err != nil {
		return err
	}
	defer a.Close()
	enc := json.NewEncoder(stdout)
	if len(args) == 1 {
		list, err := a.Backup.List(ctx)
		if err != nil {
			return err
		}
		for _, m := range list {
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		return nil
	}
	m, err := a.Backup.Run(ctx, backup.ID(time.Now().Truncate(time.Second)), "manual")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "backup %s: %d documents in %d collections, %d bytes at s3://%s/%s (verified: %v)\n",
		m.ID, m.Documents, len(m.Collections), m.ArchiveBytes, m.Bucket, m.ArchiveKey, m.Verification.OK)
	return enc.Encode(m)
}

// restoreCmd runs `quizflow restore`.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, restoreUsage) }
	from := fs.String("from", "", "archive: S3 key or backup ID in the backup bucket, or a local file")
	latest := fs.Bool("latest", false, "the newest successful backup")
	dbName := fs.String("database", "", "database to restore into (default MONGODB_DATABASE)")
	drop := fs.Bool("drop", false, "drop each collection before restoring it")
	filesBucket := fs.String("files-bucket", "\x00", "bucket to copy the files back into (default S3_BUCKET; empty: none)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || (*from == "") == !*latest {
		if err == nil {
			fmt.Fprint(stderr, restoreUsage)
		}
		return errUsage
	}
	a, err := openBackupApp(ctx, getenv, stderr, "restore")
	if err != nil {
		return err
	}
	defer a.Close()
	svc := a.Backup
	var m *quizflow.Backup
	var open func(context.Context) (io.ReadCloser, error)
	switch {
	case *latest:
		if m, err = svc.Latest(ctx); err != nil {
			return err
		}
	case fileExists(*from):
		path := *from
		open = func(context.Context) (io.ReadCloser, error) { return os.Open(path) }
		id := strings.TrimSuffix(filepath.Base(path), ".archive.gz")
		if local := strings.TrimSuffix(path, ".archive.gz") + ".manifest.json"; fileExists(local) {
			b, err := os.ReadFile(local)
			if err != nil {
				return err
			}
			m = &quizflow.Backup{}
			if err := json.Unmarshal(b, m); err != nil {
				return fmt.Errorf("manifest %s: %w", local, err)
			}
		} else if m, err = svc.Manifest(ctx, id); err != nil {
			return fmt.Errorf("no manifest for %s (neither %s nor the backup bucket's %s): %w", path, local, svc.ManifestKey(id), err)
		}
	default:
		id := strings.TrimSuffix(filepath.Base(*from), ".archive.gz")
		if m, err = svc.Manifest(ctx, id); err != nil {
			return fmt.Errorf("manifest of %s: %w", *from, err)
		}
	}
	if open == nil {
		key := m.ArchiveKey
		open = func(ctx context.Context) (io.ReadCloser, error) {
			rc, _, err := svc.Target.Open(ctx, key)
			return rc, err
		}
	}
	if m.Status != quizflow.BackupSucceeded {
		return fmt.Errorf("backup %s did not succeed (%s): not restoring it", m.ID, m.Verification.Error)
	}
	name := *dbName
	if name == "" {
		name = a.Cfg.MongoDB
	}
	opts := backup.RestoreOptions{Manifest: m, Open: open, DB: a.Store.Database().Client().Database(name), Drop: *drop}
	switch *filesBucket {
	case "\x00", a.Cfg.S3Bucket:
		opts.Files = a.Blobs
	case "":
	default:
		b, err := s3blob.New(ctx, s3blob.Config{Bucket: *filesBucket, Endpoint: a.Cfg.S3Endpoint, Region: a.Cfg.S3Region,
			AccessKey: a.Cfg.S3AccessKey, SecretKey: a.Cfg.S3SecretKey})
		if err != nil {
			return err
		}
		opts.Files = b
	}
	res, err := svc.Restore(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "restored backup %s into database %s: %d documents in %d collections, %d files\n",
		m.ID, res.Database, res.Documents, len(res.Collections), res.Files)
	return json.NewEncoder(stdout).Encode(res)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
