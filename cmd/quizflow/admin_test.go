package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestAdminGrantRevoke runs `quizflow admin grant|revoke` against real
// services: operator rights come only from it.
func TestAdminGrantRevoke(t *testing.T) {
	env := testenv.New(t)
	vars := map[string]string{
		"APP_ENV": "test", "LOG_LEVEL": "warn", "BCRYPT_COST": "4",
		"REDIS_URL": env.RedisURL, "MONGODB_URI": env.MongoURI, "MONGODB_DATABASE": env.MongoDB,
		"S3_ENDPOINT": env.S3.Endpoint, "S3_BUCKET": env.S3.Bucket, "S3_REGION": env.S3.Region,
		"S3_ACCESS_KEY_ID": env.S3.AccessKey, "S3_SECRET_ACCESS_KEY": env.S3.SecretKey,
	}
	getenv := func(k string) string { return vars[k] }
	ctx := context.Background()
	cmd := func(args ...string) (string, error) {
		var out, errs bytes.Buffer
		err := run(ctx, append([]string{"admin"}, args...), getenv, &out, &errs)
		return out.String() + errs.String(), err
	}
	if out, err := cmd("grant", "nobody@example.com"); err == nil {
		t.Fatalf("grant of an unknown account succeeded: %s", out)
	}
	if _, err := cmd("promote", "x@example.com"); err == nil {
		t.Error("unknown subcommand accepted")
	}

	cfg, err := config.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, cfg, app.NewLogger(&bytes.Buffer{}, "warn"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sess, err := a.Auth.Register(ctx, "ops@example.com", "operator passphrase", "Ops")
	if err != nil {
		t.Fatal(err)
	}
	isOperator := func() bool {
		u, err := a.Auth.User(ctx, sess.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.Admin
	}
	if isOperator() {
		t.Fatal("a new account is an operator")
	}
	if out, err := cmd("grant", "OPS@example.com"); err != nil || !strings.Contains(out, "is now an operator") {
		t.Fatalf("grant: %v %s", err, out)
	}
	if !isOperator() {
		t.Error("grant did not make an operator")
	}
	if out, err := cmd("revoke", "ops@example.com"); err != nil || !strings.Contains(out, "no longer an operator") {
		t.Fatalf("revoke: %v %s", err, out)
	}
	if isOperator() {
		t.Error("revoke left an operator")
	}
}
