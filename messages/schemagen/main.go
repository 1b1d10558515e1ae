// Command schemagen writes ideobus's published contract, generated from the
// Go types of package messages: docs/schemas/*.json (JSON Schema 2020-12, one
// per payload) and docs/asyncapi.yaml (AsyncAPI 3.0).
//
// It runs from the messages directory through go generate:
//
//	go generate ./messages
//
// Flags:
//
//	-out dir   the docs directory to write (default ../docs)
//	-src dir   package messages' source, for descriptions (default .)
//	-check     only report whether dir is up to date; exit 1 when not
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ideobus/ideobus/messages/schemagen/contract"
)

func main() {
	out := flag.String("out", "../docs", "docs directory to write the contract to")
	src := flag.String("src", ".", "directory of package messages' Go files, whose doc comments become descriptions")
	check := flag.Bool("check", false, "report whether -out is up to date instead of writing it")
	flag.Parse()

	files, err := contract.Generate(contract.Options{SourceDir: *src})
	if err != nil {
		fail(err)
	}
	if *check {
		problems, err := files.Check(*out)
		if err != nil {
			fail(err)
		}
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		if len(problems) > 0 {
			fail(fmt.Errorf("%s is out of date: run go generate ./messages", *out))
		}
		return
	}
	if err := files.Write(*out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "schemagen:", err)
	os.Exit(1)
}
