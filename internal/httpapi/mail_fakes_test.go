package httpapi

import (
	"context"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Account mail methods of fakeServices: the token "good-token" works for
// every purpose, anything else is refused.

func (f *fakeServices) VerifyEmail(ctx context.Context, token string) (*quizflow.User, error) {
	if err := f.record(ctx, nil, call{Method: "VerifyEmail", Token: token}); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, quizflow.Invalid("token", "The token from the link is required.")
	}
	if token != "good-token" {
		return nil, quizflow.Errorf(quizflow.EUNAUTHORIZED, "This link is invalid, used or expired; ask for a new one.")
	}
	u := *alice
	u.EmailVerified = true
	return &u, nil
}

func (f *fakeServices) ResendVerification(ctx context.Context, p *quizflow.Principal) error {
	if err := f.record(ctx, p.User, call{Method: "ResendVerification"}); err != nil {
		return err
	}
	if p.User.EmailVerified {
		return quizflow.Errorf(quizflow.ECONFLICT, "This address is already verified.")
	}
	return nil
}

func (f *fakeServices) ForgotPassword(ctx context.Context, email string) error {
	return f.record(ctx, nil, call{Method: "ForgotPassword", Email: email})
}

func (f *fakeServices) ResetPassword(ctx context.Context, token, password string) error {
	if err := f.record(ctx, nil, call{Method: "ResetPassword", Token: token, Password: password}); err != nil {
		return err
	}
	switch {
	case token != "good-token":
		return quizflow.Errorf(quizflow.EUNAUTHORIZED, "This link is invalid, used or expired; ask for a new one.")
	case len(password) < 12:
		return quizflow.Invalid("password", "The password must be at least 12 characters.")
	}
	return nil
}

func (f *fakeServices) ChangeEmail(ctx context.Context, p *quizflow.Principal, email, current string) (*quizflow.User, error) {
	if err := f.record(ctx, p.User, call{Method: "ChangeEmail", Email: email, Password: current}); err != nil {
		return nil, err
	}
	if current != f.passwords[p.User.Email] {
		return nil, &quizflow.Error{Code: quizflow.EUNAUTHORIZED, Field: "current_password", Message: "The current password is wrong."}
	}
	u := *p.User
	u.Email, u.EmailVerified = email, false
	return &u, nil
}

func (f *fakeServices) Rename(ctx context.Context, p *quizflow.Principal, name string) (*quizflow.User, error) {
	if err := f.record(ctx, p.User, call{Method: "Rename"}); err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		return nil, quizflow.Invalid("name", "The name is required.")
	}
	u := *p.User
	u.Name = strings.TrimSpace(name)
	return &u, nil
}

func (f *fakeServices) Notifications(ctx context.Context, p *quizflow.Principal) (quizflow.NotificationSettings, error) {
	if err := f.record(ctx, p.User, call{Method: "Notifications"}); err != nil {
		return nil, err
	}
	return p.User.Notifications(), nil
}

func (f *fakeServices) SetNotifications(ctx context.Context, p *quizflow.Principal, change quizflow.NotificationSettings) (quizflow.NotificationSettings, error) {
	if err := f.record(ctx, p.User, call{Method: "SetNotifications"}); err != nil {
		return nil, err
	}
	out := p.User.Notifications()
	for k, v := range change {
		if !quizflow.IsNotification(k) {
			return nil, quizflow.Invalid(k, "%s cannot be turned off.", k)
		}
		out[k] = v
	}
	return out, nil
}

func (f *fakeServices) Unsubscribe(ctx context.Context, token string) (string, error) {
	if err := f.record(ctx, nil, call{Method: "Unsubscribe", Token: token}); err != nil {
		return "", err
	}
	if token != "good-token" {
		return "", quizflow.Errorf(quizflow.EUNAUTHORIZED, "This unsubscribe link is not valid.")
	}
	return quizflow.MailQuizReady, nil
}
