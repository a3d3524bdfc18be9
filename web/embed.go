// Package web holds the browser app's built files (web/dist, made by
// `make web` from the sources beside this file and committed), embedded in
// the binary so that `go build` and `make run` need no Node.js.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built app: index.html at its root, hashed files under
// assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid name; "dist" is valid.
		panic(err)
	}
	return sub
}
