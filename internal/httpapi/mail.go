package httpapi

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Account mail: address verification, password reset, notification
// preferences and unsubscribe. The JSON routes are under /v1. The
// verification and reset links (/verify-email, /reset-password) open the
// web app, which posts their token to POST /v1/auth/verify and
// /v1/auth/password/reset. The unsubscribe link's page (/unsubscribe) is a
// plain HTML form served here, so one-click unsubscribe works without the
// app; its GET never changes anything (mail scanners fetch links): the
// change is the form's POST.

type tokenRequest struct {
	Token string `json:"token"`
}

func (s *Server) verifyEmail(c echo.Context) error {
	var r tokenRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	u, err := s.Accounts.VerifyEmail(c.Request().Context(), r.Token)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) resendVerification(c echo.Context) error {
	if err := s.Accounts.ResendVerification(c.Request().Context(), currentPrincipal(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"status": "sent"})
}

type forgotRequest struct {
	Email string `json:"email"`
}

// forgotPassword answers 202 whether or not the address has an account.
func (s *Server) forgotPassword(c echo.Context) error {
	var r forgotRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	if err := s.Accounts.ForgotPassword(c.Request().Context(), r.Email); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{
		"status": "accepted", "message": "If this address has an account, a reset link is on its way.",
	})
}

type resetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (s *Server) resetPassword(c echo.Context) error {
	var r resetRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	if err := s.Accounts.ResetPassword(c.Request().Context(), r.Token, r.Password); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type meUpdate struct {
	Name            *string `json:"name"`
	Email           *string `json:"email"`
	CurrentPassword string  `json:"current_password"`
}

// patchMe changes the account's display name, its address (which needs
// the current password), or both: the name first.
func (s *Server) patchMe(c echo.Context) error {
	var r meUpdate
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	if r.Name == nil && r.Email == nil {
		return quizflow.Invalid("email", "Send a new name, or a new email address and current_password.")
	}
	ctx, p := c.Request().Context(), currentPrincipal(c)
	var u *quizflow.User
	var err error
	if r.Name != nil {
		if u, err = s.Accounts.Rename(ctx, p, *r.Name); err != nil {
			return err
		}
	}
	if r.Email != nil {
		if u, err = s.Accounts.ChangeEmail(ctx, p, *r.Email, r.CurrentPassword); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) getNotifications(c echo.Context) error {
	n, err := s.Accounts.Notifications(c.Request().Context(), currentPrincipal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": n})
}

func (s *Server) patchNotifications(c echo.Context) error {
	var r quizflow.NotificationSettings
	if err := decodeJSON(c, &r, quizflow.Invalid("", "Send the kinds to change, e.g. {\"quiz_ready\": false}.")); err != nil {
		return err
	}
	if len(r) > 20 {
		return quizflow.Invalid("", "Too many kinds in one change.")
	}
	n, err := s.Accounts.SetNotifications(c.Request().Context(), currentPrincipal(c), r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": n})
}

// maxFormBody bounds the bodies of the mailed-link forms.
const maxFormBody = 8 << 10

// formValue reads one field of a small url-encoded form body.
func formValue(c echo.Context, name string) string {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxFormBody)
	if err := req.ParseForm(); err != nil {
		return ""
	}
	return req.PostForm.Get(name)
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - QuizFlow</title></head>
<body><main><h1>{{.Title}}</h1>
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Action}}<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
{{if .OneClick}}<input type="hidden" name="List-Unsubscribe" value="One-Click">{{end}}
<p><button type="submit">{{.Button}}</button></p>
</form>{{end}}
</main></body></html>
`))

type mailPage struct {
	Title, Message, Action, Token, Button string
	OneClick                              bool
}

func renderPage(c echo.Context, status int, p mailPage) error {
	var b strings.Builder
	if err := pageTemplate.Execute(&b, p); err != nil {
		return err
	}
	c.Response().Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	return c.HTML(status, b.String())
}

// pageError renders a user error as a page, with its status.
func (s *Server) pageError(c echo.Context, title string, err error) error {
	if !quizflow.IsUserError(err) {
		return err // the error handler logs it and answers 500
	}
	return renderPage(c, statusOf(quizflow.ErrorCode(err)), mailPage{Title: title, Message: quizflow.ErrorMessage(err)})
}

func (s *Server) unsubscribePage(c echo.Context) error {
	return renderPage(c, http.StatusOK, mailPage{Title: "Unsubscribe", Message: "Stop emails of this kind?",
		Action: "/unsubscribe?token=" + template.URLQueryEscaper(c.QueryParam("token")), Token: c.QueryParam("token"),
		Button: "Unsubscribe", OneClick: true})
}

// unsubscribe is the RFC 8058 one-click target: a POST to the
// List-Unsubscribe URL with the body List-Unsubscribe=One-Click. The
// token is in the URL (as the header carries it), or in the form.
func (s *Server) unsubscribe(c echo.Context) error {
	token := c.QueryParam("token")
	if v := formValue(c, "token"); token == "" {
		token = v
	}
	kind, err := s.Accounts.Unsubscribe(c.Request().Context(), token)
	if err != nil {
		return s.pageError(c, "Not unsubscribed", err)
	}
	return renderPage(c, http.StatusOK, mailPage{Title: "Unsubscribed",
		Message: "You will no longer get " + strings.ReplaceAll(kind, "_", " ") + " emails. Turn them back on in your account's notification settings."})
}
