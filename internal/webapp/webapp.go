// Package webapp serves the browser app's built files (package web's
// dist): hashed files under /assets/ cached for a year, index.html for
// every other app path (the app routes in the browser) and revalidated on
// each load, gzip when the client accepts it, and a strict
// Content-Security-Policy. It knows nothing of the API: the caller decides
// which requests reach it (internal/httpapi hands it the GET and HEAD
// requests no API route matched, API paths excepted).
package webapp

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Headers of every answer.
const (
	// CSP is the Content-Security-Policy of the app: its own scripts,
	// styles and API only (no inline script or style, no eval), images
	// also from data: URLs; no plugins, no <base>, no framing, forms
	// posting to itself only.
	CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
	// AssetCaching is the Cache-Control of files under /assets/: their
	// names carry a hash of their content, so a name never changes meaning.
	AssetCaching = "public, max-age=31536000, immutable"
	// PageCaching is the Cache-Control of index.html and the other
	// unhashed files: kept, but revalidated (ETag) on every use, so a new
	// build is seen at the next load.
	PageCaching = "no-cache"
	// ReferrerPolicy is the Referrer-Policy set when the caller has set
	// none; the same as the API's (httpapi), since the app's URLs carry
	// share tokens.
	ReferrerPolicy = "no-referrer"
)

// ErrNotFound is Serve's answer to a request for a file the build does
// not have under /assets/ (or another path no file and no app page can
// answer): the caller answers 404.
var ErrNotFound = errors.New("webapp: no such file")

// ErrMethod is Serve's answer to a request that is neither GET nor HEAD.
var ErrMethod = errors.New("webapp: only GET and HEAD")

const (
	assetsPrefix = "/assets/"
	indexName    = "index.html"
	// minCompress is the size below which a file is sent as it is: the
	// gzip header and a round of Vary-keyed caching cost more than they
	// save.
	minCompress = 512
	// maxPath bounds the request paths looked at; app paths are short.
	maxPath = 2048
)

// App serves one build of the app.
type App struct {
	files map[string]*file // by path without the leading slash
}

// file is one file of the build, read once at New; its gzip encoding is
// made on first request and kept.
type file struct {
	name        string
	body        []byte
	contentType string
	etag        string // strong, of body
	caching     string
	compress    bool // worth gzip (a text type, not tiny)

	gzOnce sync.Once
	gz     []byte // nil when gzip saves nothing
	gzETag string
}

// New reads the build in fsys (index.html at its root, hashed files under
// assets/); it fails when index.html is missing. Every file is held in
// memory: a build is a few hundred kilobytes.
func New(fsys fs.FS) (*App, error) {
	a := &App{files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		f := &file{
			name: p, body: body,
			contentType: contentType(p, body),
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`,
			caching:     PageCaching,
		}
		if strings.HasPrefix(p, strings.TrimPrefix(assetsPrefix, "/")) {
			f.caching = AssetCaching
		}
		f.compress = len(body) >= minCompress && compressible(f.contentType)
		a.files[p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webapp: read the build: %w", err)
	}
	if a.files[indexName] == nil {
		return nil, fmt.Errorf("webapp: the build has no %s (run make web)", indexName)
	}
	return a, nil
}

// ServeHTTP serves r as Serve does, answering its errors with a plain
// 404 or 405.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch err := a.Serve(w, r); {
	case errors.Is(err, ErrMethod):
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
	case err != nil:
		http.Error(w, "Not found.", http.StatusNotFound)
	}
}

// Serve answers a GET or HEAD request: a file of the build at its path,
// index.html for any other path outside /assets/ (the app's own routes,
// such as /documents/ID or /s/TOKEN), or ErrNotFound for a missing file
// under /assets/, a directory, or a path with a ".." segment, a backslash
// or a NUL. Other methods get ErrMethod. Nothing is written when it
// returns an error.
func (a *App) Serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return ErrMethod
	}
	f, err := a.lookup(r.URL.Path)
	if err != nil {
		return err
	}
	a.send(w, r, f)
	return nil
}

// lookup returns the file that answers the URL path p.
func (a *App) lookup(p string) (*file, error) {
	if len(p) > maxPath || !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return nil, ErrNotFound
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return nil, ErrNotFound
		}
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if f := a.files[name]; f != nil && !strings.HasSuffix(p, "/") {
		return f, nil
	}
	if p == "/assets" || strings.HasPrefix(p, assetsPrefix) {
		// A hashed file the build lacks is an old page's reference: a
		// real 404, never the page (which the browser would run as a
		// script, or cache for a year).
		return nil, ErrNotFound
	}
	return a.files[indexName], nil
}

// send writes f, gzipped when the client accepts it and it saves bytes;
// http.ServeContent handles HEAD, If-None-Match and Range.
func (a *App) send(w http.ResponseWriter, r *http.Request, f *file) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	if h.Get("Referrer-Policy") == "" {
		h.Set("Referrer-Policy", ReferrerPolicy)
	}
	h.Set("Cache-Control", f.caching)
	h.Set("Content-Type", f.contentType)
	body, etag := f.body, f.etag
	if f.compress {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			if gz, gzETag := f.gzipped(); gz != nil {
				body, etag = gz, gzETag
				h.Set("Content-Encoding", "gzip")
			}
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// gzipped returns f's gzip encoding and its ETag, nil if it is no smaller.
func (f *file) gzipped() ([]byte, string) {
	f.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return // only for a bad level
		}
		if _, err := zw.Write(f.body); err != nil {
			return
		}
		if err := zw.Close(); err != nil {
			return
		}
		if buf.Len() < len(f.body) {
			f.gz = buf.Bytes()
			f.gzETag = strings.TrimSuffix(f.etag, `"`) + `-gz"`
		}
	})
	return f.gz, f.gzETag
}

// acceptsGzip reports whether Accept-Encoding values allow gzip: named
// (or matched by "*") with a q-value above zero.
func acceptsGzip(values []string) bool {
	gzip, star := -1.0, -1.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			q := 1.0
			for _, param := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || f < 0 || f > 1 {
						f = 0 // a malformed weight accepts nothing
					}
					q = f
				}
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzip = q
			case "*":
				star = q
			}
		}
	}
	if gzip >= 0 {
		return gzip > 0
	}
	return star > 0
}

// contentType names a file's type by its extension (a fixed table for the
// types a Vite build makes, so the answer does not depend on the
// machine's mime.types), else by sniffing.
func contentType(name string, body []byte) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return http.DetectContentType(body)
}

var types = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".webp":        "image/webp",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".woff":        "font/woff",
	".txt":         "text/plain; charset=utf-8",
	".wasm":        "application/wasm",
}

// compressible reports whether a type is text-like, so gzip pays.
func compressible(ct string) bool {
	t, _, _ := strings.Cut(ct, ";")
	switch t {
	case "application/json", "application/manifest+json", "image/svg+xml", "application/wasm", "image/x-icon":
		return true
	}
	return strings.HasPrefix(t, "text/")
}
