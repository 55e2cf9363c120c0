// gore answers regex questions with Go's own regexp package, as the reference for toolgate's regex
// compiler. It reads one JSON request per line on stdin and writes one JSON answer per line:
//
//	{"p": pattern, "s": base64 input}  ->  {"err": message} or {"m": MatchString, "idx": FindAllIndex}
//	{"op": "class", "p": pattern}      ->  {"r": [lo, hi, ...]} code point ranges of a one-class pattern
//	{"op": "folds"}                    ->  {"f": [r, SimpleFold(r), ...]} for every r that folds
//
// Standard library only: run it with `go run test/regex/gore.go`.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

type request struct {
	Op string `json:"op"`
	P  string `json:"p"`
	S  string `json:"s"`
}

type answer struct {
	Err string  `json:"err,omitempty"`
	M   bool    `json:"m"`
	Idx [][]int `json:"idx"`
	R   []rune  `json:"r,omitempty"`
	F   []rune  `json:"f,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		var ans answer
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			ans.Err = "bad request: " + err.Error()
		} else {
			ans = handle(req)
		}
		if ans.Idx == nil {
			ans.Idx = [][]int{}
		}
		enc.Encode(ans)
	}
}

func handle(req request) (ans answer) {
	switch req.Op {
	case "folds":
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if f := unicode.SimpleFold(r); f != r {
				ans.F = append(ans.F, r, f)
			}
		}
	case "class":
		re, err := syntax.Parse(req.P, syntax.Perl)
		if err != nil {
			ans.Err = err.Error()
			return
		}
		re = re.Simplify()
		switch re.Op {
		case syntax.OpCharClass:
			ans.R = re.Rune
		case syntax.OpLiteral:
			// A one-rune class folds to a literal; report its fold orbit as ranges.
			r0 := re.Rune[0]
			set := []rune{r0}
			if re.Flags&syntax.FoldCase != 0 {
				for r := unicode.SimpleFold(r0); r != r0; r = unicode.SimpleFold(r) {
					set = append(set, r)
				}
			}
			for _, r := range set {
				ans.R = append(ans.R, r, r)
			}
		case syntax.OpAnyChar:
			ans.R = []rune{0, unicode.MaxRune}
		case syntax.OpAnyCharNotNL:
			ans.R = []rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}
		case syntax.OpNoMatch:
			ans.R = []rune{}
		default:
			ans.Err = "not a class: " + re.Op.String()
		}
	default:
		re, err := regexp.Compile(req.P)
		if err != nil {
			ans.Err = strings.TrimPrefix(err.Error(), "error parsing regexp: ")
			return
		}
		b, err := base64.StdEncoding.DecodeString(req.S)
		if err != nil {
			ans.Err = "bad input: " + err.Error()
			return
		}
		s := string(b)
		ans.M = re.MatchString(s)
		ans.Idx = re.FindAllStringIndex(s, -1)
	}
	return
}
