package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// maxFormField bounds each non-file multipart field.
const maxFormField = 4 << 10

type documentResponse struct {
	Document *quizflow.Document `json:"document"`
	Job      *quizflow.Job      `json:"job"`
}

// uploadDocument reads a multipart upload: options sent before the file
// are checked before the file is read (a typo does not cost the whole
// upload), the file streams to the document service, and the options sent
// after it are read before the upload is submitted.
func (s *Server) uploadDocument(c echo.Context) (err error) {
	defer func() {
		if err != nil {
			// The body may be unread (a refused or endless upload): close
			// the connection after the answer instead of draining it, so
			// the client gets its error at once.
			c.Response().Header().Set(echo.HeaderConnection, "close")
		}
	}()
	ctx := c.Request().Context()
	user := currentUser(c)
	mediaType, params, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return quizflow.Errorf(quizflow.EINVALID, "Send the document as multipart/form-data with a 'file' field.")
	}
	// The whole body is bounded: the file plus room for the small fields.
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, s.Config.MaxFileSize+64<<10)
	reader, err := c.Request().MultipartReader()
	if err != nil {
		return quizflow.Errorf(quizflow.EINVALID, "The multipart body cannot be read.")
	}

	var doc *quizflow.Document // received, not yet submitted
	defer func() {
		if err != nil && doc != nil {
			s.Documents.DiscardUpload(ctx, doc)
		}
	}()
	fields := map[string][]string{}
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bodyError(err, s.Config.MaxFileSize)
		}
		name := part.FormName()
		switch {
		case name == "file" && doc == nil:
			if len(fields) > 0 {
				opts, err := optionsFromForm(fields)
				if err == nil {
					err = s.Documents.CheckOptions(user, &opts)
				}
				if err != nil {
					return err
				}
			}
			doc, err = s.Documents.ReceiveFile(ctx, user, part.FileName(), bodyReader{part, s.Config.MaxFileSize})
			part.Close()
			if err != nil {
				return err
			}
		case name == "file":
			part.Close()
			return quizflow.Invalid("file", "Send exactly one file per upload.")
		default:
			b, err := io.ReadAll(io.LimitReader(bodyReader{part, s.Config.MaxFileSize}, maxFormField+1))
			part.Close()
			if err != nil {
				return err
			}
			if len(b) > maxFormField || !utf8.Valid(b) {
				return quizflow.Invalid(truncateName(name), "The field %q is too long or not text.", truncateName(name))
			}
			fields[name] = append(fields[name], string(b))
		}
	}
	if doc == nil {
		return quizflow.Invalid("file", "Attach the document in a multipart field named 'file'.")
	}
	opts, err := optionsFromForm(fields)
	if err != nil {
		return err
	}
	submitted, job, err := s.Documents.SubmitUpload(ctx, user, doc, opts)
	doc = nil // submitted or discarded by the service
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, documentResponse{Document: submitted, Job: job})
}

// bodyReader turns errors met reading the request body into user errors:
// past the body's bound, cut short, or malformed multipart.
type bodyReader struct {
	r     io.Reader
	limit int64 // the upload limit, for the message
}

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = bodyError(err, b.limit)
	}
	return n, err
}

// bodyError classifies an error met while reading the request body of an
// upload limited to limit bytes. Reading a request body can only fail on
// the client's side (the body ended early, is malformed, or is too large),
// so nothing here is a server error and no error text is matched. (A body
// that stalls past its deadline is answered 408 by the body limits, which
// override this.)
func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	var qe *quizflow.Error
	switch {
	case errors.As(err, &qe):
		return err
	case errors.As(err, &mbe):
		return quizflow.Errorf(quizflow.ETOOLARGE, "The file is larger than the %s limit.", quizflow.HumanBytes(limit))
	}
	return quizflow.Errorf(quizflow.EINVALID, "The upload ended early or is malformed.")
}

func truncateName(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

// optionsFromForm reads generation options from multipart fields. List
// fields accept repeated fields or comma-separated values.
func optionsFromForm(f map[string][]string) (quizflow.GenerateOptions, error) {
	var o quizflow.GenerateOptions
	one := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	list := func(k string) []string {
		var out []string
		for _, v := range f[k] {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	if v := one("question_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return o, quizflow.Invalid("question_count", "question_count must be a whole number.")
		}
		if n == 0 {
			n = -1 // explicitly zero is invalid, not "default"
		}
		o.QuestionCount = n
	}
	o.QuestionTypes = list("question_types")
	o.BloomLevels = list("bloom_levels")
	o.Difficulty = one("difficulty")
	o.Language = one("language")
	o.Instructions = one("instructions")
	if v := one("fresh"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, quizflow.Invalid("fresh", "fresh must be true or false.")
		}
		o.Fresh = b
	}
	return o, nil
}

// newQuiz starts a new quiz job from a stored document, with options given
// as JSON, so a user need not upload again.
func (s *Server) newQuiz(c echo.Context) error {
	// question_count is a pointer here so an explicit 0 is refused rather
	// than taken as "default".
	var req struct {
		quizflow.GenerateOptions
		QuestionCount *int `json:"question_count"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	opts := req.GenerateOptions
	if req.QuestionCount != nil {
		opts.QuestionCount = *req.QuestionCount
		if opts.QuestionCount == 0 {
			opts.QuestionCount = -1
		}
	}
	job, err := s.Quizzes.CreateQuiz(c.Request().Context(), currentUser(c), c.Param("id"), opts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"job": job})
}

func (s *Server) listDocuments(c echo.Context) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	docs, next, err := s.Documents.Documents(c.Request().Context(), currentUser(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listing("documents", docs, next))
}

func (s *Server) getDocument(c echo.Context) error {
	doc, err := s.Documents.Document(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, doc)
}

func (s *Server) deleteDocument(c echo.Context) error {
	if err := s.Documents.DeleteDocument(c.Request().Context(), currentUser(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getDocumentText(c echo.Context) error {
	t, err := s.Documents.DocumentText(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	if t, err = onePage(c, t); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}
