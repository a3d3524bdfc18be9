package config

import "testing"

func TestBackupSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(*Config) bool
		wantErr string // substring; empty = no error
	}{
		{"defaults", map[string]string{}, func(c *Config) bool {
			return c.BackupCron == "0 3 * * *" && c.BackupBucket == "quizflow" && c.BackupPrefix == "backups/" &&
				c.BackupRetentionDays == 30 && c.BackupFiles
		}, ""},
		{"own bucket", map[string]string{"BACKUP_BUCKET": "qf-backups-eu", "BACKUP_FILES": "false", "BACKUP_RETENTION_DAYS": "7"}, func(c *Config) bool {
			return c.BackupBucket == "qf-backups-eu" && !c.BackupFiles && c.BackupRetentionDays == 7
		}, ""},
		{"prefix without slash", map[string]string{"BACKUP_PREFIX": "backups"}, nil, "BACKUP_PREFIX must be a key prefix"},
		{"prefix inside the copied files", map[string]string{"BACKUP_PREFIX": "documents/backups/"}, nil, "BACKUP_PREFIX must not be inside documents/"},
		{"prefix inside exports in another bucket", map[string]string{"BACKUP_PREFIX": "exports/", "BACKUP_BUCKET": "other"}, func(c *Config) bool { return c.BackupPrefix == "exports/" }, ""},
		{"no retention", map[string]string{"BACKUP_RETENTION_DAYS": "0"}, nil, "BACKUP_RETENTION_DAYS must be at least 1"},
		{"short bucket", map[string]string{"BACKUP_BUCKET": "b"}, nil, "BACKUP_BUCKET must be at least 3 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, tt.env, tt.wantErr)
			if c == nil {
				return
			}
			if !tt.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}
