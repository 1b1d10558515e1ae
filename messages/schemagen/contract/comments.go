package contract

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// goComments reads the doc comments of the exported types and struct fields
// declared in the non-test Go files of dir, keyed the way the jsonschema
// reflector looks them up: "<pkg>.<Type>" (the first sentence) and
// "<pkg>.<Type>.<Field>" (the whole comment).
func goComments(pkg, dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	comments := map[string]string{}
	var synopsis doc.Package
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if !ts.Name.IsExported() {
					continue
				}
				text := ts.Doc.Text()
				if text == "" && len(gd.Specs) == 1 {
					text = gd.Doc.Text()
				}
				if text != "" {
					comments[pkg+"."+ts.Name.Name] = oneLine(synopsis.Synopsis(text))
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, field := range st.Fields.List {
					text := field.Doc.Text()
					if text == "" {
						text = field.Comment.Text()
					}
					if text == "" {
						continue
					}
					for _, n := range field.Names {
						if n.IsExported() {
							comments[pkg+"."+ts.Name.Name+"."+n.Name] = oneLine(text)
						}
					}
				}
			}
		}
	}
	return comments, nil
}

// oneLine unwraps a comment's lines into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
