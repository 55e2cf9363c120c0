// Command namediff prints aip-go's NormalizeName pipeline (x/text NFKC, strings.ToLower,
// strings.TrimSpace, drop !unicode.IsPrint) for engine-as/test/normalize/go-diff.ts.
//
//	namediff all   one line per code point: "<cp hex> <assigned 0|1> <output as UTF-8 hex>"
//	namediff       reads UTF-8 hex lines on stdin, writes the output hex of each
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func normalizeName(s string) string {
	s = strings.TrimSpace(strings.ToLower(norm.NFKC.String(s)))
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) && !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}

// assigned reports whether Go's Unicode tables know r (its category is not Cn).
func assigned(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

func main() {
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	if len(os.Args) > 1 && os.Args[1] == "all" {
		fmt.Fprintf(w, "unicode %s\n", unicode.Version)
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if r >= 0xd800 && r <= 0xdfff {
				continue
			}
			a := 0
			if assigned(r) {
				a = 1
			}
			fmt.Fprintf(w, "%x %d %x\n", r, a, normalizeName(string(r)))
		}
		return
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	for in.Scan() {
		b, err := hex.DecodeString(in.Text())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintf(w, "%x\n", normalizeName(string(b)))
	}
}
