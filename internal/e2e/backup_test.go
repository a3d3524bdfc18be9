package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// TestBackupAdminRoutes: POST and GET /v1/admin/backups are for operators
// only; an operator's backup is run by a real worker and then listed with
// its manifest.
func TestBackupAdminRoutes(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	plain := s.user("Plain")
	for _, m := range []string{http.MethodPost, http.MethodGet} {
		if code, body, _ := raw(t, m, s.url+"/v1/admin/backups", plain.Token, nil, nil); code != http.StatusForbidden {
			t.Errorf("%s /v1/admin/backups as a user = %d %s, want 403", m, code, body)
		}
		if code, _, _ := raw(t, m, s.url+"/v1/admin/backups", "", nil, nil); code != http.StatusUnauthorized {
			t.Errorf("%s /v1/admin/backups signed out = %d, want 401", m, code)
		}
	}

	s.operator(adminEmail, "operator password")
	ops := client.New(s.url)
	if _, err := ops.Login(ctx, adminEmail, "operator password"); err != nil {
		t.Fatal(err)
	}
	var started struct{ Backup quizflow.BackupStart }
	if err := ops.Do(ctx, http.MethodPost, "/v1/admin/backups", nil, &started); err != nil {
		t.Fatal(err)
	}
	st := started.Backup
	if st.ID == "" || st.TaskID == "" || st.Status != "queued" {
		t.Fatalf("POST /v1/admin/backups = %+v", st)
	}
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	waitTaskState(t, insp, jobs.QueueMaintenance, st.TaskID, asynq.TaskStateCompleted)

	var list struct{ Backups []quizflow.Backup }
	if err := ops.Do(ctx, http.MethodGet, "/v1/admin/backups", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Backups) != 1 {
		t.Fatalf("GET /v1/admin/backups lists %d backups, want 1: %+v", len(list.Backups), list.Backups)
	}
	m := list.Backups[0]
	if m.ID != st.ID || m.Status != quizflow.BackupSucceeded || m.Trigger != "manual" || !m.Verification.OK ||
		m.SHA256 == "" || m.ArchiveBytes == 0 || m.ArchiveKey == "" || m.EndedAt.Before(m.StartedAt) {
		t.Fatalf("listed manifest %+v", m)
	}
	i := slices.IndexFunc(m.Collections, func(c quizflow.BackupCollection) bool { return c.Name == "users" })
	if i < 0 || m.Collections[i].Documents != 2 || m.Verification.Documents != m.Documents {
		t.Fatalf("manifest collections %+v (verification %+v), want users with the 2 accounts", m.Collections, m.Verification)
	}
	// The user still cannot see it.
	if code, body, _ := raw(t, http.MethodGet, s.url+"/v1/admin/backups", plain.Token, nil, nil); code != http.StatusForbidden {
		t.Errorf("list as a user after the backup = %d %s", code, body)
	}
}
