// Package contract generates ideobus's published wire contract from the Go
// types of package messages: a JSON Schema (2020-12) per payload and an
// AsyncAPI 3.0 document describing every topic, message, record key and
// CloudEvents header.
//
// It backs the messages/schemagen command (run by go generate ./messages) and
// the contract test that keeps the committed files in docs/ up to date.
package contract

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ideobus/ideobus/messages"
)

// AsyncAPIFile is the AsyncAPI document's path, relative to the docs directory.
const AsyncAPIFile = "asyncapi.yaml"

// SchemaDir holds the payload schemas, relative to the docs directory.
const SchemaDir = "schemas"

// Options configure generation.
type Options struct {
	// SourceDir is the directory of package messages' Go files. When set,
	// their doc comments become the schemas' descriptions.
	SourceDir string
}

// Files maps a slash-separated path, relative to the docs directory, to the
// file's content.
type Files map[string][]byte

// Generate renders the contract: one schema per event of Events, at
// Event.SchemaFile, and the AsyncAPI document at AsyncAPIFile. The output is
// deterministic.
func Generate(opts Options) (Files, error) {
	comments := map[string]string{}
	if opts.SourceDir != "" {
		var err error
		if comments, err = goComments(messagesPkg, opts.SourceDir); err != nil {
			return nil, fmt.Errorf("schemagen: read doc comments: %w", err)
		}
	}
	events := Events()
	if err := checkCoverage(events); err != nil {
		return nil, err
	}
	files := Files{}
	descriptions := map[string]string{}
	for _, e := range events {
		s, err := payloadSchema(e, comments)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Type, err)
		}
		b, err := canonicalJSON(s)
		if err != nil {
			return nil, fmt.Errorf("schemagen: encode schema of %s: %w", e.Type, err)
		}
		files[e.SchemaFile()] = b
		descriptions[e.Type] = s.Description
	}
	doc, err := asyncAPI(events, descriptions)
	if err != nil {
		return nil, err
	}
	files[AsyncAPIFile] = doc
	return files, nil
}

// checkCoverage makes sure that every topic of messages.Topics is described,
// so that a new topic cannot be left out of the contract.
func checkCoverage(events []Event) error {
	described := map[string]bool{}
	for _, e := range events {
		described[messages.DefaultTopics().ForType(e.Type)] = true
	}
	for _, topic := range messages.DefaultTopics().All() {
		if !described[topic] {
			return fmt.Errorf("schemagen: topic %q has no contract.Event; add it to messages/schemagen/contract/events.go", topic)
		}
	}
	return nil
}

// Paths lists the files' paths, sorted.
func (f Files) Paths() []string {
	paths := make([]string, 0, len(f))
	for p := range f {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Write writes the files under dir, leaving unchanged files untouched, and
// removes schemas in dir's SchemaDir that generation no longer produces.
func (f Files) Write(dir string) error {
	for _, p := range f.Paths() {
		name := filepath.Join(dir, filepath.FromSlash(p))
		if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, f[p]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(name, f[p], 0o644); err != nil {
			return err
		}
	}
	stale, err := f.stale(dir)
	if err != nil {
		return err
	}
	for _, p := range stale {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			return err
		}
	}
	return nil
}

// Check compares the files with those under dir and describes every
// difference: a missing, changed or stale file. It returns nil when dir is up
// to date.
func (f Files) Check(dir string) ([]string, error) {
	var problems []string
	for _, p := range f.Paths() {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, p+": missing")
		case err != nil:
			return nil, err
		case !bytes.Equal(got, f[p]):
			problems = append(problems, p+": differs from generated output"+firstDiff(got, f[p]))
		}
	}
	stale, err := f.stale(dir)
	if err != nil {
		return nil, err
	}
	for _, p := range stale {
		problems = append(problems, p+": stale, generation no longer produces it")
	}
	return problems, nil
}

// stale lists the .json files in dir's SchemaDir that are not among f.
func (f Files) stale(dir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, SchemaDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, e := range entries {
		p := path.Join(SchemaDir, e.Name())
		if _, ok := f[p]; !ok && !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			stale = append(stale, p)
		}
	}
	return stale, nil
}

// firstDiff describes the first line where committed and generated differ.
func firstDiff(committed, generated []byte) string {
	a, b := strings.Split(string(committed), "\n"), strings.Split(string(generated), "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf(" (line %d: committed %q, generated %q)", i+1, strings.TrimSpace(x), strings.TrimSpace(y))
		}
	}
	return ""
}
