package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/notify"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// verifiedOperator registers email, marks its address verified (operators
// need one when mail is on) and grants it operator rights, as `quizflow
// admin grant` does; it returns the user's ID.
func (s *stack) verifiedOperator(email string) string {
	s.t.Helper()
	ctx := context.Background()
	sess, err := client.New(s.url).Register(ctx, email, "operator password", "Ops")
	if err != nil {
		s.t.Fatalf("register %s: %v", email, err)
	}
	if _, err := s.app.Store.Database().Collection("users").UpdateOne(ctx, bson.M{"_id": sess.User.ID},
		bson.M{"$set": bson.M{"email_verified": true}}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.app.Auth.SetOperator(ctx, email, true); err != nil {
		s.t.Fatalf("grant %s: %v", email, err)
	}
	return sess.User.ID
}

// TestBackupFailedMailsOperators: a backup whose store fails (its bucket
// does not exist) mails nothing on an attempt that will be retried, and on
// its last attempt exactly one backup_failed message to each operator,
// none to other users; the slot failing again later sends nothing more.
func TestBackupFailedMailsOperators(t *testing.T) {
	t.Parallel()
	s := setup(t, func(o *setupOptions) {
		o.smtpSink = true
		o.env["PUBLIC_URL"] = testPublicURL
		o.env["BACKUP_BUCKET"] = "quizflow-no-such-bucket"
	})
	ctx := context.Background()
	sink := s.env.SMTP
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	ops := map[string]string{"ops1@example.com": s.verifiedOperator("ops1@example.com"), "ops2@example.com": s.verifiedOperator("ops2@example.com")}
	s.user("Plain")

	slot := time.Now().UTC().Truncate(time.Hour)
	id := backup.ID(slot)
	task, err := jobs.NewBackupTask(slot)
	if err != nil {
		t.Fatal(err)
	}
	// One retry, so the first failure is not the last attempt.
	info, err := s.app.Queue.Enqueue(task, asynq.MaxRetry(1))
	if err != nil {
		t.Fatal(err)
	}
	waitTaskState(t, insp, jobs.QueueMaintenance, info.ID, asynq.TaskStateRetry)
	for _, uid := range ops {
		if _, err := insp.GetTaskInfo(jobs.QueueEmail, notify.BackupFailedID(id, uid)); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Fatalf("after a failed attempt that will be retried, the mail to %s: %v, want none queued", uid, err)
		}
	}
	if archived := waitTaskState(t, insp, jobs.QueueMaintenance, info.ID, asynq.TaskStateArchived); !strings.Contains(archived.LastErr, "NoSuchBucket") {
		t.Errorf("backup archived with %q, want the store's error", archived.LastErr)
	}
	for _, uid := range ops {
		if st := waitEmail(t, s, notify.BackupFailedID(id, uid)); st != quizflow.EmailSent {
			t.Fatalf("backup_failed mail to %s: %s", uid, st)
		}
	}
	subject := "Subject: QuizFlow backup failed: " + id
	count := func() map[string]int {
		n := map[string]int{}
		for _, m := range sink.Messages() {
			if strings.Contains(string(m.Data), subject) {
				n[m.To[0]]++
			}
		}
		return n
	}
	check := func(when string) {
		t.Helper()
		got := count()
		for addr := range ops {
			if got[addr] != 1 {
				t.Errorf("%s: %d backup_failed mails to %s, want 1 (all: %v)", when, got[addr], addr, got)
			}
		}
		if len(got) != len(ops) {
			t.Errorf("%s: backup_failed mails went to %v, want only the operators", when, got)
		}
	}
	check("after the last attempt")
	for _, m := range sink.Messages() {
		if !strings.Contains(string(m.Data), subject) {
			continue
		}
		// The parts are quoted-printable; the headers read the same decoded.
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		d := string(b)
		if !strings.Contains(d, "The backup "+id+" failed") || !strings.Contains(d, "Why: ") || !strings.Contains(d, "NoSuchBucket") ||
			!strings.Contains(d, testPublicURL+"/admin/queues") {
			t.Errorf("backup_failed mail lacks the slot, the reason or the queue UI link:\n%s", d)
		}
	}

	// The same slot fails for good again (the task run once more): each
	// operator was told about this slot already, so nothing more is sent.
	if err := insp.DeleteTask(jobs.QueueMaintenance, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Queue.Enqueue(task, asynq.MaxRetry(0)); err != nil {
		t.Fatal(err)
	}
	waitTaskState(t, insp, jobs.QueueMaintenance, info.ID, asynq.TaskStateArchived)
	waitQueuesEmpty(t, s, jobs.QueueEmail)
	check("after the slot failed again")
	if list, err := s.app.Backup.List(ctx); err == nil && len(list) > 0 {
		t.Errorf("a backup into a missing bucket listed %+v", list)
	}
}
