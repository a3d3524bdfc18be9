package e2e_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
	"github.com/quizflow/quizflow/jobs"
)

// Mail end to end: the real API and worker send over SMTP to Mailpit, a
// real SMTP server, and the tests read each message back through its API
// (recipient, subject, links, both parts); the embedded sink stands in
// where a refusal (4xx, 5xx) is needed.

const testPublicURL = "https://quizflow.test"

const mailWait = 60 * time.Second

// withMailpit sends the stack's mail to the shared Mailpit.
func withMailpit(mp *testenv.Mailpit) func(*setupOptions) {
	return func(o *setupOptions) {
		o.env["SMTP_URL"] = mp.SMTPURL
		o.env["PUBLIC_URL"] = testPublicURL
		o.env["MAIL_FROM"] = "QuizFlow <noreply@quizflow.test>"
		o.env["MAIL_REPLY_TO"] = "help@quizflow.test"
	}
}

// mailAddr is an address of this test's own, so tests sharing Mailpit
// never read each other's mail.
func mailAddr(t *testing.T, who string) string {
	return fmt.Sprintf("%s-%s@example.com", who, strings.TrimPrefix(quizflow.NewID("m"), "m_")[:12])
}

var linkRe = regexp.MustCompile(`https://quizflow\.test/[^\s"<>]+`)

// link returns the first link of the message with path prefix, checking
// both parts hold it.
func link(t *testing.T, m testenv.MailpitMessage, prefix string) *url.URL {
	t.Helper()
	for _, l := range linkRe.FindAllString(m.Text, -1) {
		if strings.HasPrefix(l, testPublicURL+prefix) {
			u, err := url.Parse(l)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.HTML, strings.ReplaceAll(l, "&", "&amp;")) {
				t.Errorf("the HTML part of %q lacks the link %s", m.Subject, l)
			}
			return u
		}
	}
	t.Fatalf("no %s link in %q:\n%s", prefix, m.Subject, m.Text)
	return nil
}

// checkParts checks what every message has: recipient, both parts,
// Date, Message-ID.
func checkParts(t *testing.T, m testenv.MailpitMessage, to string) {
	t.Helper()
	if len(m.To) != 1 || m.To[0].Address != to {
		t.Errorf("%q to %v, want %s", m.Subject, m.To, to)
	}
	if strings.TrimSpace(m.Text) == "" || !strings.Contains(m.HTML, "<html") {
		t.Errorf("%q lacks a part: text %d bytes, html %d bytes", m.Subject, len(m.Text), len(m.HTML))
	}
	if !strings.HasSuffix(m.MessageID, "@quizflow.test") || len(m.Headers["Date"]) != 1 {
		t.Errorf("%q Message-ID %q, Date %v", m.Subject, m.MessageID, m.Headers["Date"])
	}
	if ct := strings.Join(m.Headers["Content-Type"], ""); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("%q Content-Type %q", m.Subject, ct)
	}
}

func subject(s string) func(testenv.MailpitMessage) bool {
	return func(m testenv.MailpitMessage) bool { return strings.HasPrefix(m.Subject, s) }
}

func countSubject(t *testing.T, mp *testenv.Mailpit, to, s string) int {
	t.Helper()
	msgs, err := mp.Messages(context.Background(), to)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if strings.HasPrefix(m.Subject, s) {
			n++
		}
	}
	return n
}

// waitEmail waits for the record of message id to reach a final status.
func waitEmail(t *testing.T, s *stack, id string) string {
	t.Helper()
	var status string
	eventually(t, mailWait, func() (bool, string) {
		var r struct{ Status string }
		err := s.app.Store.Database().Collection("emails").FindOne(context.Background(), bson.M{"_id": id}).Decode(&r)
		status = r.Status
		return err == nil && status != quizflow.EmailSending, fmt.Sprintf("email %s: %q %v", id, status, err)
	})
	return status
}

func TestEmailAccountFlows(t *testing.T) {
	t.Parallel()
	mp := testenv.MailpitServer(t)
	s := setup(t, withMailpit(mp))
	ctx := context.Background()
	addr := mailAddr(t, "ada")
	c := client.New(s.url)
	if _, err := c.Register(ctx, addr, "correct horse battery", "Ada <b>Lovelace</b>"); err != nil {
		t.Fatal(err)
	}

	// Registration: a verification mail whose link verifies the address, once.
	m := mp.WaitFor(t, addr, mailWait, subject("Confirm your email address"))
	checkParts(t, m, addr)
	if !strings.Contains(m.HTML, "Ada &lt;b&gt;Lovelace&lt;/b&gt;") {
		t.Errorf("the name is not escaped in HTML:\n%s", m.HTML)
	}
	verify := link(t, m, "/verify-email?token=")
	var me quizflow.User
	if err := c.Do(ctx, "GET", "/v1/me", nil, &me); err != nil || me.EmailVerified {
		t.Fatalf("before verifying: %+v %v", me, err)
	}
	// The link opens the web app's page (served for unknown GET paths),
	// which posts the token to POST /v1/auth/verify; fetching the link, as
	// a mail scanner does, changes nothing.
	if code, body, _ := raw(t, "GET", s.url+verify.RequestURI(), "", nil, nil); code >= 500 || strings.Contains(body, `method="post"`) {
		t.Errorf("GET of the verify link = %d %.200s (want the web app, no server-rendered form)", code, body)
	}
	if err := c.Do(ctx, "GET", "/v1/me", nil, &me); err != nil || me.EmailVerified {
		t.Fatalf("the GET of the link verified the address: %+v %v", me, err)
	}
	token := verify.Query().Get("token")
	if err := c.Do(ctx, "POST", "/v1/auth/verify", map[string]string{"token": token}, &me); err != nil || !me.EmailVerified {
		t.Fatalf("verify: %+v %v", me, err)
	}
	if err := c.Do(ctx, "GET", "/v1/me", nil, &me); err != nil || !me.EmailVerified {
		t.Fatalf("GET /v1/me after verifying: %+v %v", me, err)
	}
	if err := c.Do(ctx, "POST", "/v1/auth/verify", map[string]string{"token": token}, nil); client.StatusOf(err) != 401 {
		t.Errorf("the link used twice: %v", err)
	}

	// Forgot: 202 for any address; the reset mail's link sets the password
	// and ends every session.
	sess, err := client.New(s.url).Login(ctx, addr, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	oldRefresh := sess.RefreshToken
	for _, who := range []string{addr, mailAddr(t, "nobody")} {
		code, body, _ := raw(t, "POST", s.url+"/v1/auth/password/forgot", "", strings.NewReader(`{"email":"`+who+`"}`), jsonHeader)
		if code != 202 || !strings.Contains(body, "If this address has an account") {
			t.Fatalf("forgot %s = %d %s", who, code, body)
		}
	}
	m = mp.WaitFor(t, addr, mailWait, subject("Reset your QuizFlow password"))
	checkParts(t, m, addr)
	reset := link(t, m, "/reset-password?token=")
	code, _, _ := raw(t, "POST", s.url+"/v1/auth/password/reset", "",
		strings.NewReader(`{"token":"`+reset.Query().Get("token")+`","password":"a brand new passphrase"}`), jsonHeader)
	if code != 204 {
		t.Fatalf("reset = %d", code)
	}
	code, _, _ = raw(t, "POST", s.url+"/v1/auth/refresh", "", strings.NewReader(`{"refresh_token":"`+oldRefresh+`"}`), jsonHeader)
	if code != 401 {
		t.Errorf("an old refresh token after the reset = %d, want 401", code)
	}
	if _, err := client.New(s.url).Login(ctx, addr, "a brand new passphrase"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	code, _, _ = raw(t, "POST", s.url+"/v1/auth/password/reset", "",
		strings.NewReader(`{"token":"`+reset.Query().Get("token")+`","password":"yet another passphrase"}`), jsonHeader)
	if code != 401 {
		t.Errorf("the reset link used twice = %d", code)
	}
	m = mp.WaitFor(t, addr, mailWait, subject("Your QuizFlow password was changed"))
	checkParts(t, m, addr)
	if len(m.ReplyTo) != 1 || m.ReplyTo[0].Address != "help@quizflow.test" {
		t.Errorf("security notice Reply-To = %v", m.ReplyTo)
	}
	if len(m.Headers["List-Unsubscribe"]) != 0 {
		t.Errorf("a security notice carries List-Unsubscribe")
	}

	// A new API key: a notice.
	c2 := client.New(s.url)
	sess, err = c2.Login(ctx, addr, "a brand new passphrase")
	if err != nil {
		t.Fatal(err)
	}
	c2.Token = sess.AccessToken
	if err := c2.Do(ctx, "POST", "/v1/api-keys", map[string]any{"name": "grader", "scopes": []string{"read"}}, nil); err != nil {
		t.Fatal(err)
	}
	m = mp.WaitFor(t, addr, mailWait, subject("A new API key was created"))
	checkParts(t, m, addr)
	if !strings.Contains(m.Text, `"grader"`) {
		t.Errorf("key notice does not name the key:\n%s", m.Text)
	}

	// A new address: a verify link to it, a notice to the old one.
	next := mailAddr(t, "ada-new")
	if err := c2.Do(ctx, "PATCH", "/v1/me", map[string]string{"email": next, "current_password": "a brand new passphrase"}, &me); err != nil || me.EmailVerified || me.Email != next {
		t.Fatalf("change email: %+v %v", me, err)
	}
	m = mp.WaitFor(t, addr, mailWait, subject("The email address of your QuizFlow account was changed"))
	checkParts(t, m, addr)
	if !strings.Contains(m.Text, next) {
		t.Errorf("the notice does not name the new address")
	}
	m = mp.WaitFor(t, next, mailWait, subject("Confirm your email address"))
	checkParts(t, m, next)
	if err := c2.Do(ctx, "POST", "/v1/auth/verify", map[string]string{"token": link(t, m, "/verify-email?token=").Query().Get("token")}, &me); err != nil || !me.EmailVerified {
		t.Fatalf("verify the new address: %+v %v", me, err)
	}

	// Each cause sent exactly one message.
	waitQueuesEmpty(t, s, jobs.QueueEmail)
	for to, subjects := range map[string][]string{
		addr: {"Confirm your email address", "Reset your QuizFlow password", "Your QuizFlow password was changed",
			"A new API key was created", "The email address of your QuizFlow account was changed"},
		next: {"Confirm your email address"},
	} {
		for _, sub := range subjects {
			if n := countSubject(t, mp, to, sub); n != 1 {
				t.Errorf("%d messages %q to %s, want 1", n, sub, to)
			}
		}
	}
}

func TestEmailJobNotificationsAndUnsubscribe(t *testing.T) {
	t.Parallel()
	mp := testenv.MailpitServer(t)
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withMailpit(mp), withModel(fake))
	ctx := context.Background()
	addr := mailAddr(t, "teacher")
	c := client.New(s.url)
	sess, err := c.Register(ctx, addr, "correct horse battery", "Teacher")
	if err != nil {
		t.Fatal(err)
	}
	c.Token = sess.AccessToken

	// Quiz ready: title, question count, link, List-Unsubscribe.
	up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	job := waitJob(t, c, up.Job.ID)
	if job.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %+v", job)
	}
	quiz, err := c.Quiz(ctx, job.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}
	m := mp.WaitFor(t, addr, mailWait, subject("Your quiz is ready"))
	checkParts(t, m, addr)
	if !strings.Contains(m.Subject, quiz.Title) || !strings.Contains(m.Text, fmt.Sprintf("%d question", len(quiz.Questions))) {
		t.Errorf("quiz ready %q:\n%s", m.Subject, m.Text)
	}
	link(t, m, "/quizzes/"+quiz.ID)
	unsub := m.Headers["List-Unsubscribe"]
	if len(unsub) != 1 || m.Headers["List-Unsubscribe-Post"][0] != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %v, -Post %v", unsub, m.Headers["List-Unsubscribe-Post"])
	}

	// Export ready.
	var ex struct {
		Job quizflow.Job `json:"job"`
	}
	if err := c.Do(ctx, "POST", "/v1/quizzes/"+quiz.ID+"/exports", map[string]any{"format": "gift"}, &ex); err != nil {
		t.Fatal(err)
	}
	waitJob(t, c, ex.Job.ID)
	m = mp.WaitFor(t, addr, mailWait, subject("Your export is ready"))
	checkParts(t, m, addr)
	link(t, m, "/quizzes/"+quiz.ID+"/export")

	// Quiz failed: a file that cannot be read.
	bad, err := c.UploadReader(ctx, "broken.pdf", strings.NewReader("%PDF-1.7\n1 0 obj garbage"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, bad.Job.ID); j.Status != quizflow.StatusFailed {
		t.Fatalf("broken upload: %+v", j)
	}
	m = mp.WaitFor(t, addr, mailWait, subject("Your quiz could not be made"))
	checkParts(t, m, addr)
	if !strings.Contains(m.Text, "broken.pdf") {
		t.Errorf("quiz failed text:\n%s", m.Text)
	}

	// Regeneration failed: the model server refuses the key.
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.Unauthorized}))
	var regen struct {
		Job quizflow.Job `json:"job"`
	}
	if err := c.Do(ctx, "POST", "/v1/quizzes/"+quiz.ID+"/questions/"+quiz.Questions[0].ID+"/regenerate", nil, &regen); err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, regen.Job.ID); j.Status != quizflow.StatusFailed {
		t.Fatalf("regenerate with a refused key: %+v", j)
	}
	fake.SetScript(nil)
	m = mp.WaitFor(t, addr, mailWait, subject("A question could not be replaced"))
	checkParts(t, m, addr)
	if !strings.Contains(m.Subject, quiz.Title) {
		t.Errorf("regeneration failed subject %q lacks the quiz title %q", m.Subject, quiz.Title)
	}
	link(t, m, "/quizzes/"+quiz.ID)

	// One-click unsubscribe (RFC 8058), no login: quiz ready mail stops.
	u, err := url.Parse(strings.Trim(unsub[0], "<>"))
	if err != nil || !strings.HasPrefix(u.String(), testPublicURL+"/unsubscribe?token=") {
		t.Fatalf("unsubscribe URL %v %v", u, err)
	}
	code, body, _ := raw(t, "POST", s.url+u.RequestURI(), "", strings.NewReader("List-Unsubscribe=One-Click"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if code != 200 || !strings.Contains(body, "no longer get quiz ready") {
		t.Fatalf("one-click unsubscribe = %d %s", code, body)
	}
	var n struct{ Notifications map[string]bool }
	if err := c.Do(ctx, "GET", "/v1/me/notifications", nil, &n); err != nil || n.Notifications["quiz_ready"] || !n.Notifications["export_ready"] {
		t.Fatalf("notifications after unsubscribing: %v %v", n, err)
	}
	up2, err := c.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "2", "fresh": "true"})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, c, up2.Job.ID)
	if st := waitEmail(t, s, "quiz_ready:"+up2.Job.ID); st != quizflow.EmailSuppressed {
		t.Errorf("quiz ready after unsubscribing: %s", st)
	}
	// Each message once per cause.
	for _, sub := range []string{"Your quiz is ready", "Your export is ready", "Your quiz could not be made", "A question could not be replaced"} {
		if n := countSubject(t, mp, addr, sub); n != 1 {
			t.Errorf("%d %q messages, want 1", n, sub)
		}
	}
	// Turned back on through the API.
	if err := c.Do(ctx, "PATCH", "/v1/me/notifications", map[string]bool{"quiz_ready": true}, &n); err != nil || !n.Notifications["quiz_ready"] {
		t.Fatalf("turn back on: %v %v", n, err)
	}
	if err := c.Do(ctx, "PATCH", "/v1/me/notifications", map[string]bool{"password_reset": false}, nil); client.StatusOf(err) != 400 {
		t.Errorf("turning security mail off: %v", err)
	}
}

// TestEmailOnceAndBounce runs on the embedded sink, which can refuse:
// the same message enqueued twice and delivered twice is sent once; a 4xx
// is retried until it goes through; a 5xx fails the task at once
// (archived with the reason), marks the address bouncing and stops
// notifications to it, and is counted in quizflow_emails_total.
func TestEmailOnceAndBounce(t *testing.T) {
	t.Parallel()
	s := setup(t, func(o *setupOptions) {
		o.smtpSink = true
		o.env["PUBLIC_URL"] = testPublicURL
	})
	ctx := context.Background()
	sink := s.env.SMTP
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	count := func(to, subj string) int {
		n := 0
		for _, m := range sink.Messages() {
			if m.To[0] == to && strings.Contains(string(m.Data), "Subject: "+subj) {
				n++
			}
		}
		return n
	}

	// Once: register, wait for the verification mail, then enqueue its
	// task again and redeliver it (the completed task deleted, as if asynq
	// delivered it a second time).
	addr := "once@example.com"
	u := s.user("once")
	var me quizflow.User
	if err := u.Do(ctx, "GET", "/v1/me", nil, &me); err != nil {
		t.Fatal(err)
	}
	id := "verify:" + me.ID + ":1"
	if st := waitEmail(t, s, id); st != quizflow.EmailSent {
		t.Fatalf("verification mail: %s", st)
	}
	task, err := jobs.NewEmailTask(jobs.EmailPayload{ID: id, Kind: quizflow.MailVerifyEmail, UserID: me.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.Tasks.Enqueue(ctx, task); err != nil { // the ID is taken: refused, counted as enqueued
		t.Fatal(err)
	}
	waitTaskState(t, insp, jobs.QueueEmail, id, asynq.TaskStateCompleted)
	if err := insp.DeleteTask(jobs.QueueEmail, id); err != nil {
		t.Fatal(err)
	}
	if err := s.app.Tasks.Enqueue(ctx, task); err != nil {
		t.Fatal(err)
	}
	waitTaskState(t, insp, jobs.QueueEmail, id, asynq.TaskStateCompleted)
	if n := count(addr, "Confirm your email address"); n != 1 {
		t.Errorf("%d verification mails after a second delivery, want 1", n)
	}

	// 4xx: retried with backoff until the server accepts.
	busy := "busy@example.com"
	sink.Refuse(busy, 451, "4.3.0", "mailbox busy, try later")
	s.user("busy")
	var busyUser quizflow.User
	eventually(t, mailWait, func() (bool, string) {
		var r struct {
			UserID string `bson:"user_id"`
			Reason string `bson:"reason"`
		}
		err := s.app.Store.Database().Collection("emails").FindOne(ctx, bson.M{"kind": quizflow.MailVerifyEmail, "reason": bson.M{"$regex": "451"}}).Decode(&r)
		busyUser.ID = r.UserID
		return err == nil, fmt.Sprintf("no retried verification mail yet: %v", err)
	})
	sink.Accept(busy)
	if st := waitEmail(t, s, "verify:"+busyUser.ID+":1"); st != quizflow.EmailSent || count(busy, "Confirm your email address") != 1 {
		t.Errorf("after a 451 then acceptance: %s, %d messages", st, count(busy, "Confirm your email address"))
	}

	// 5xx: failed at once, the address bouncing, notifications stopped.
	gone := "gone@example.com"
	sink.Refuse(gone, 550, "5.1.1", "no such mailbox")
	g := s.user("gone")
	if err := g.Do(ctx, "GET", "/v1/me", nil, &me); err != nil {
		t.Fatal(err)
	}
	gid := "verify:" + me.ID + ":1"
	if st := waitEmail(t, s, gid); st != quizflow.EmailFailed {
		t.Fatalf("verification to a refused mailbox: %s", st)
	}
	info := waitTaskState(t, insp, jobs.QueueEmail, gid, asynq.TaskStateArchived)
	if info.Retried != 0 || !strings.Contains(info.LastErr, "550") {
		t.Errorf("archived task: retried %d, last error %q", info.Retried, info.LastErr)
	}
	if err := g.Do(ctx, "GET", "/v1/me", nil, &me); err != nil || me.EmailStatus != quizflow.EmailBouncing {
		t.Fatalf("after a 550: %+v %v", me, err)
	}
	up, err := g.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "2"})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, g, up.Job.ID)
	if st := waitEmail(t, s, "quiz_ready:"+up.Job.ID); st != quizflow.EmailSuppressed {
		t.Errorf("quiz ready to a bouncing address: %s", st)
	}
	if n := len(sink.Messages()); n != 2 {
		t.Errorf("the sink holds %d messages, want 2 (once, busy)", n)
	}
	_, body, _ := raw(t, "GET", s.url+"/metrics", "", nil, nil)
	for _, want := range []string{
		`quizflow_emails_total{kind="verify_email",outcome="bounced"} 1`,
		`quizflow_emails_total{kind="verify_email",outcome="duplicate"} 1`,
		`quizflow_emails_total{kind="quiz_ready",outcome="suppressed"} 1`,
		`quizflow_emails_total{kind="verify_email",outcome="sent"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(body, `quizflow_emails_total{kind="verify_email",outcome="retry"}`) {
		t.Errorf("metrics lack the retry")
	}
}
