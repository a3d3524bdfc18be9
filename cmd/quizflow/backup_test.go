//go:build !nodev

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
	"github.com/quizflow/quizflow/internal/testenv"
)

// TestScheduledBackupRestores: `quizflow dev` with its scheduler taking
// backups (BACKUP_CRON) is filled through the API (a user, a document, a
// quiz, an export, their jobs); a backup the scheduler took after that is
// restored with `quizflow restore --latest` into a new database and a new
// bucket, and every document of every collection is identical byte for
// byte (BSON), every index, and every file by sha256.
func TestScheduledBackupRestores(t *testing.T) {
	src, dst := testenv.New(t), testenv.New(t)
	vars := map[string]string{
		"PORT": "0", "QUIZFLOW_DATA": t.TempDir(), "LOG_LEVEL": "warn", "BCRYPT_COST": "4",
		"MONGODB_URI": src.MongoURI, "MONGODB_DATABASE": src.MongoDB, "REDIS_URL": src.RedisURL,
		"S3_ENDPOINT": src.S3.Endpoint, "S3_BUCKET": src.S3.Bucket, "S3_REGION": src.S3.Region,
		"S3_ACCESS_KEY_ID": src.S3.AccessKey, "S3_SECRET_ACCESS_KEY": src.S3.SecretKey,
		"BACKUP_CRON": "@every 2s",
	}
	getenv := func(k string) string { return vars[k] }
	stack := startDev(t, vars)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	c := client.New(stack.base)
	if _, err := c.Register(ctx, "teacher@example.com", "correct horse battery", "Teacher"); err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	up, err := c.UploadFile(ctx, filepath.Join(filepath.Dir(file), "..", "..", "internal", "extract", "testdata", "libreoffice-handbook-10p.pdf"),
		map[string]string{"question_count": "8", "question_types": "multiple_choice,true_false,fill_in_blank,short_answer"})
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.WaitJob(ctx, up.Job.ID, 100*time.Millisecond, nil)
	if err != nil || job.Status != quizflow.StatusSucceeded {
		t.Fatalf("quiz job: %+v, %v", job, err)
	}
	// Every question type: the generator wrote four; add the others by
	// hand, grounded in the document's own text.
	var text struct{ Pages []quizflow.Page }
	if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID+"/text", nil, &text); err != nil || len(text.Pages) == 0 {
		t.Fatalf("document text: %v", err)
	}
	page := text.Pages[0]
	quote := strings.Join(strings.Fields(page.Text)[:8], " ")
	source := map[string]any{"page": page.Number, "quote": quote}
	for _, q := range []map[string]any{
		{"type": "multiple_answer", "prompt": "Which of these does the handbook's first page mention?", "source": source,
			"options": []map[string]any{{"text": "Its title", "correct": true}, {"text": "Its opening words", "correct": true}, {"text": "A recipe for bread"}}},
		{"type": "matching", "prompt": "Match each part of the handbook to where it is.", "source": source,
			"pairs": []map[string]string{{"left": "Title", "right": "First page"}, {"left": "Contents", "right": "Second page"}, {"left": "Index", "right": "Last page"}}},
		{"type": "essay", "prompt": "Summarise the first page of the handbook in your own words.", "source": source, "answers": []string{quote}},
	} {
		if err := c.Do(ctx, "POST", "/v1/quizzes/"+job.Result.QuizID+"/questions", q, nil); err != nil {
			t.Fatalf("add a %s question: %v", q["type"], err)
		}
	}
	types := map[string]bool{}
	quiz, err := c.Quiz(ctx, job.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range quiz.Questions {
		types[q.Type] = true
	}
	for _, typ := range quizflow.QuestionTypes {
		if !types[typ] {
			t.Fatalf("the quiz to back up has no %s question (types %v)", typ, types)
		}
	}

	var exp struct {
		Job quizflow.Job `json:"job"`
	}
	if err := c.Do(ctx, "POST", "/v1/quizzes/"+job.Result.QuizID+"/exports", map[string]any{"format": "csv"}, &exp); err != nil {
		t.Fatal(err)
	}
	if j, err := c.WaitJob(ctx, exp.Job.ID, 100*time.Millisecond, nil); err != nil || j.Status != quizflow.StatusSucceeded {
		t.Fatalf("export job: %+v, %v", j, err)
	}
	filled := time.Now()

	// Wait for a backup the scheduler started after the last write: the
	// manifests are the only signal a backup leaves.
	var latest quizflow.Backup
	for {
		var out, logs syncBuffer
		if err := run(ctx, []string{"backup", "list"}, getenv, &out, &logs); err != nil {
			t.Fatalf("backup list: %v\n%s", err, logs.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var m quizflow.Backup
			if line != "" && json.Unmarshal([]byte(line), &m) == nil && m.Status == quizflow.BackupSucceeded &&
				m.Trigger == "scheduled" && m.StartedAt.After(filled) {
				latest = m
			}
		}
		if latest.ID != "" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no scheduled backup after the data was written: %v", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	if latest.Files == nil || latest.Files.Objects < 3 || !latest.Verification.OK {
		t.Fatalf("manifest %+v", latest)
	}

	var out, logs syncBuffer
	if err := run(ctx, []string{"restore", "--from", latest.ArchiveKey, "--database", dst.MongoDB, "--files-bucket", dst.S3.Bucket}, getenv, &out, &logs); err != nil {
		t.Fatalf("restore: %v\n%s", err, logs.String())
	}
	srcDB := testenv.MongoClient(t, src).Database(src.MongoDB)
	dstDB := testenv.MongoClient(t, dst).Database(dst.MongoDB)
	wd, wi := testenv.DumpDatabase(t, srcDB)
	gd, gi := testenv.DumpDatabase(t, dstDB)
	for _, name := range []string{"users", "documents", "jobs", "quizzes", "exports"} {
		if len(wd[name]) == 0 {
			t.Errorf("collection %s is empty in the source: the round trip proves nothing for it", name)
		}
	}
	if len(gd) != len(wd) {
		t.Fatalf("%d collections restored, want %d", len(gd), len(wd))
	}
	for name, docs := range wd {
		if len(gd[name]) != len(docs) {
			t.Fatalf("%s: %d documents restored, want %d", name, len(gd[name]), len(docs))
		}
		for i := range docs {
			if !bytes.Equal(docs[i], gd[name][i]) {
				t.Fatalf("%s: document %d differs:\nwant %s\ngot  %s", name, i, docs[i], gd[name][i])
			}
		}
		if strings.Join(wi[name], "\n") != strings.Join(gi[name], "\n") {
			t.Fatalf("%s: indexes differ:\nwant %v\ngot  %v", name, wi[name], gi[name])
		}
	}
	wf, gf := fileSums(t, src), fileSums(t, dst)
	if len(wf) < 3 || strings.Join(wf, "\n") != strings.Join(gf, "\n") {
		t.Fatalf("files differ:\nwant %v\ngot  %v", wf, gf)
	}
}

// fileSums lists "key=sha256" of every uploaded, extracted and exported
// file of env's bucket.
func fileSums(t *testing.T, env *testenv.Env) []string {
	t.Helper()
	ctx := context.Background()
	b, err := s3blob.New(ctx, s3blob.Config{Bucket: env.S3.Bucket, Endpoint: env.S3.Endpoint, Region: env.S3.Region,
		AccessKey: env.S3.AccessKey, SecretKey: env.S3.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range []string{"documents/", "exports/"} {
		err := b.List(ctx, p, func(o s3blob.Object) error {
			data, err := b.Get(ctx, o.Key, 1<<30)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out = append(out, o.Key+"="+hex.EncodeToString(sum[:]))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}
