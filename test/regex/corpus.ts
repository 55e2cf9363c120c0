// Hand-picked (pattern, inputs) pairs for the differential tests against Go. Inputs are strings; "\x80"
// style characters below U+0100 in `raw` inputs stand for single bytes (to write invalid UTF-8).

export interface Case {
  p: string;
  in: string[];
  raw?: string[]; // latin1: each char is one byte
}

export const SECRETS: Case[] = [
  // The DLP vectors (aip-conformance full/dlp.yaml) and examples/dlp.yaml.
  { p: "(AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}", in: ["Your key is AKIAIOSFODNN7EXAMPLE", "AKIAAKIAIOSFODNN7EXAMPLEAKIAIOSFODNN7EXAMPLE", "akiaIOSFODNN7EXAMPLE", "AKIA123"] },
  { p: "\\b(AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\\b", in: ["id=AKIAIOSFODNN7EXAMPLE;", "xAKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE1", "ASIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLE"] },
  { p: "[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}", in: ["Contact alice@example.com or bob@test.org for help", "a@b.c", "x@y.co.uk.", "mail: first.last+tag@sub-domain.example.museum!", "@@a.bc", "é@ex.com a@é.com"] },
  { p: "\\b\\d{3}-\\d{2}-\\d{4}\\b", in: ["User: alice@test.com, SSN: 123-45-6789", "123-45-6789", "1123-45-67890", "x123-45-6789", "123-45-6789-1"] },
  { p: "ghp_[a-zA-Z0-9]{36}", in: ["Token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_short", "ghp_ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxyy"] },
  { p: "\\b(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\\b", in: ["gho_abcdefghijklmnopqrstuvwxyz0123456789", "github_pat_" + "a".repeat(82), "github_pat_" + "a".repeat(81), "ghs_" + "Z".repeat(37)] },
  { p: "-----BEGIN (RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----", in: ["Key: -----BEGIN RSA PRIVATE KEY-----\nMIIE...", "-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA  PRIVATE KEY-----"] },
  { p: "-----BEGIN ((RSA|DSA|EC|OPENSSH|PGP|ENCRYPTED) )?PRIVATE KEY( BLOCK)?-----", in: ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "-----BEGIN ENCRYPTED PRIVATE KEY-----"] },
  { p: "\\b(?:\\d{4}[- ]?){3}\\d{4}\\b", in: ["Card: 4111-1111-1111-1111", "4111 1111 1111 1111", "4111111111111111", "41111-1111-1111-1111", "4111-1111-1111-11112", "1234-5678-9012-3456 and 1111222233334444"] },
  { p: "\\b([0-9]{4}[- ]?){3}[0-9]{4}\\b", in: ["4111-1111-1111-1111", "4111-1111 1111-1111x"] },
  { p: "SECRET_[A-Z]+", in: ["Value: SECRET_ABC", "SECRET_", "SECRET_ABC_DEF"] },
  { p: "eyJ[A-Za-z0-9_-]+\\.eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+", in: ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc-_DEF end", "eyJ.eyJ.x", "eyJa.eyJb."] },
  { p: "\\beyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]*", in: ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.", "xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig"] },
  { p: "(?i)(api[_-]?key|secret|token)\\s*[:=]\\s*['\"]?[A-Za-z0-9/+_-]{16,}['\"]?", in: ["API_KEY = 'abcdefghijklmnop1234'", "token:\"ABCDEFGHIJKLMNOPQ\"", "Secret=short", "apikey:abcdefghijklmnopqrstuvwxyz/+==", "TOKEN  :  aaaaaaaaaaaaaaaa'", "ſecret=abcdefghijklmnopqrst"] },
  { p: "(?i)\\b(api[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token)\\b[\"']?\\s*[:=]\\s*[\"']?[A-Za-z0-9_./+=-]{16,}", in: ["\"access_token\": \"ya29.a0AfH6SMBx3\"", "AUTH-TOKEN=abcdefghijklmnopqrstuvwxyz", "myapi_key=abcdefghijklmnopqrs", "api_key = abcdefghijklmnop"] },
  { p: "\\bxox[abposr]-[0-9A-Za-z-]{10,}", in: ["xoxb-1234567890-abcdef", "xoxz-1234567890", "axoxp-1234567890"] },
  { p: "\\b[rs]k_(live|test)_[0-9A-Za-z]{24,}", in: ["sk_live_abcdefghijklmnopqrstuvwx", "rk_test_abc", "psk_live_abcdefghijklmnopqrstuvwxyz"] },
];

export const SEMANTICS: Case[] = [
  // Alternation priority and leftmost-first.
  { p: "a|ab", in: ["ab", "aab", "b"] },
  { p: "ab|a", in: ["ab", "aab"] },
  { p: "(a|ab)(c|bcd)(d*)", in: ["abcd", "abcbcd"] },
  { p: "a(b|bc)c?", in: ["abc", "abcc"] },
  { p: "(?:foo|foobar)bar", in: ["foobarbar", "foobar"] },
  // Greedy and lazy.
  { p: "a+", in: ["baaab", "aaaa"] },
  { p: "a+?", in: ["baaab"] },
  { p: "a*?b", in: ["aaab", "b"] },
  { p: "<.+>", in: ["<a><b>", "<>"] },
  { p: "<.+?>", in: ["<a><b>", "<><>"] },
  { p: "a{2,4}", in: ["aaaaaaaaa", "a"] },
  { p: "a{2,4}?", in: ["aaaaaaaaa"] },
  { p: "a{3}", in: ["aaaaaaa"] },
  { p: "a{2,}", in: ["a aa aaaaa"] },
  { p: "(?U)a+", in: ["aaa"] },
  { p: "(?U)a+?", in: ["aaa"] },
  { p: "x(a|b)*?y", in: ["xababy", "xy", "xabz"] },
  // Empty matches.
  { p: "a*", in: ["baaa", "", "aaa", "bab", "€a"] },
  { p: "x*", in: ["€é", "abc"] },
  { p: "", in: ["", "abc", "é€"] },
  { p: "(?:)", in: ["ab"] },
  { p: "a??", in: ["aa"] },
  { p: "(a*)*", in: ["b", "aab"] },
  { p: "(a*)+", in: ["b", "aab"] },
  { p: "(a|)*b", in: ["aab", "b"] },
  { p: "(|a)*", in: ["aa"] },
  { p: "(|a)+", in: ["aa"] },
  { p: "(a*?)*?b", in: ["aab"] },
  { p: "\\b", in: ["ab cd", "", " ", "é a"] },
  { p: "\\B", in: ["ab cd", "", "é"] },
  { p: "$", in: ["ab", "", "a\n"] },
  { p: "^", in: ["ab", ""] },
  // Anchors and multiline.
  { p: "^abc", in: ["abc", "xabc", "abc\nabc"] },
  { p: "abc$", in: ["abc", "abc\n", "abcabc"] },
  { p: "^abc$", in: ["abc", "abc\n"] },
  { p: "(?m)^abc$", in: ["abc\nabc", "x\nabc\n", "abcabc\nabc"] },
  { p: "(?m)^", in: ["a\nb\n", "\n\n"] },
  { p: "(?m)$", in: ["a\nb\n", "\n\n"] },
  { p: "(?m)^$", in: ["\n\n", "a\n\nb", ""] },
  { p: "^$", in: ["", "\n"] },
  { p: "\\Aab", in: ["abab"] },
  { p: "ab\\z", in: ["abab", "ab\n"] },
  { p: "(?m)\\Aa$", in: ["a\na", "a"] },
  { p: "(?m:^a)|b$", in: ["b\na", "ab\nab"] },
  // Word boundaries at the edges.
  { p: "\\bfoo\\b", in: ["foo", "foobar", "a foo.", "_foo", "éfooé", "foo\nfoo"] },
  { p: "\\Bfoo\\B", in: ["xfoox", "foo", "xfoo"] },
  { p: "\\b\\w+\\b", in: ["hi there, you!", "été"] },
  { p: "\\w+\\b$", in: ["ab cd", "ab cd "] },
  // Dot and (?s).
  { p: "a.c", in: ["abc", "a\nc", "aéc", "a€c"] },
  { p: "(?s)a.c", in: ["a\nc"] },
  { p: ".+", in: ["ab\ncd", "\n"] },
  { p: "(?s).+", in: ["ab\ncd"] },
  { p: "[^a]+", in: ["bcd\nab", "€é"] },
  { p: "(?s:.)(?-s:.)", in: ["\n\n", "a\nb"] },
  // Case folding.
  { p: "(?i)k", in: ["k K \u212a"] },
  { p: "(?i)s+", in: ["sSſ"] },
  { p: "(?i)straße", in: ["STRAßE", "strasse", "Straße"] },
  { p: "(?i)σ", in: ["Σσς"] },
  { p: "(?i)[a-z]+", in: ["Hello ſK"] },
  { p: "(?i)[^k]+", in: ["abkK\u212acd"] },
  { p: "(?i)\\w+", in: ["ſ\u212a x"] },
  { p: "(?i)\\W+", in: ["ſ\u212a x"] },
  { p: "(?i)é", in: ["ÉéE"] },
  { p: "(?i)ǅ", in: ["Ǆǅǆ"] },
  { p: "(?i)θ", in: ["Θθϑϴ"] },
  { p: "(?i)µ", in: ["µΜμ"] },
  { p: "(?i)ı", in: ["ıIi"] },
  { p: "(?i)a(?-i)b(?i:c)", in: ["AbC", "ABC", "abc"] },
  { p: "(?i:A)b", in: ["ab aB"] },
  // Classes.
  { p: "[[:alpha:]]+", in: ["ab1é"] },
  { p: "[[:^alpha:]]+", in: ["ab1é"] },
  { p: "[[:word:][:space:]]+", in: ["a_b c-d"] },
  { p: "[\\d\\s]+", in: ["1 2\t3x"] },
  { p: "[^\\d\\s]+", in: ["1 2\t3x"] },
  { p: "[a-]+", in: ["a-b"] },
  { p: "[]a]+", in: ["]a["] },
  { p: "[^]a]+", in: ["]abc"] },
  { p: "[a-c-e]+", in: ["a-eb"] },
  { p: "\\pL+", in: ["héllo wörld 東京"] },
  { p: "\\p{Greek}+", in: ["abc αβγ"] },
  { p: "\\PL+", in: ["ab12!é"] },
  { p: "\\p{^L}+", in: ["ab12!é"] },
  { p: "\\p{Lu}", in: ["aBÉ"] },
  { p: "(?i)\\p{Lu}+", in: ["aBÉ"] },
  { p: "\\p{Nd}+", in: ["12٣"] },
  { p: "\\p{Han}", in: ["漢字 kanji"] },
  { p: "[\\p{Lu}\\d]+", in: ["aB3é"] },
  { p: "\\x{1F600}", in: ["😀"] },
  { p: "[\\x{1F600}-\\x{1F64F}]+", in: ["hi 😀😃!"] },
  { p: "\\x41\\101\\x{42}", in: ["AAB"] },
  { p: "\\Q.*+\\E+", in: [".*+++"] },
  { p: "\\a\\f\\t\\n\\r\\v", in: ["\x07\x0c\t\n\r\x0b"] },
  { p: "\\.\\*\\_\\-", in: [".*_-"] },
  { p: "(?P<year>\\d{4})-(?<month>\\d{2})", in: ["2026-11"] },
  // Multi-byte text.
  { p: "é+", in: ["ééé e"] },
  { p: "€", in: ["1€ 2€"] },
  { p: "[€é]+", in: ["a€é€b"] },
  { p: "\\x{FFFD}", in: ["a\ufffdb"] },
  { p: "[^a-z]", in: ["ab€c"] },
  { p: "..", in: ["€é", "a€"] },
];

// Invalid UTF-8: Go reads every byte that does not start a valid encoding as U+FFFD of width 1.
export const INVALID_UTF8: Case[] = [
  { p: ".", in: [], raw: ["\xff", "\xe2\x82", "\xe2\x82\xac", "a\x80b", "\xed\xa0\x80", "\xf0\x9f\x98", "\xc0\xaf"] },
  { p: "..", in: [], raw: ["\xe2\x82\xac", "\xe2\x82a", "\xf0\x9f\x98\x80", "\xf0\x9f\x98a", "\xe0\x80\x80"] },
  { p: "[^a]", in: [], raw: ["\xe2\x82a\xff", "\xf4\x90\x80\x80", "\xe2\x82\xac\x82"] },
  { p: "[^a]{2}", in: [], raw: ["\xe2\x82\xac", "\xe2\x82a", "\xe2\x82\xe2\x82\xac"] },
  { p: "\\x{FFFD}", in: [], raw: ["\xff", "\xe2\x82\xac", "\xe2\x82", "\xef\xbf\xbd"] },
  { p: "\\x{FFFD}+", in: [], raw: ["\x80\x80\xe2\x82\xac\x80", "\xf0\x9f\x98\x80\x80"] },
  { p: "\\x{FFFD}*c", in: [], raw: ["\x82\xe2\x82\xacc", "\xe2\x82\xacc", "\x80\x80c"] },
  { p: "a.b", in: [], raw: ["a\xe2b", "a\xe2\x82b", "a\xe2\x82\xacb", "a\xffb"] },
  { p: "\\w+", in: [], raw: ["ab\xffcd\xe2\x82ef"] },
  { p: "\\b", in: [], raw: ["\xffa\xff"] },
  { p: "[\\x{FFFD}a]+", in: [], raw: ["a\xff\xe2\x82a\xe2\x82\xac"] },
  { p: "x*", in: [], raw: ["\xe2\x82\xac\xff\xe2\x82"] },
  { p: "(?s).*", in: [], raw: ["a\xffb\nc"] },
  { p: "[^\\x{FFFD}]+", in: [], raw: ["a\xffb\xe2\x82\xacc\xef\xbf\xbd"] },
  { p: "\\PL+", in: [], raw: ["a\xff1\x80b"] },
  { p: "[^é]", in: [], raw: ["\xc3\xa9", "\xc3", "\xa9"] },
];

/** Inputs every corpus pattern is also tried on. */
export const SHARED_INPUTS: string[] = [
  "",
  "a",
  "ab\ncd",
  "The quick brown fox jumps over the lazy dog.",
  "key=AKIAIOSFODNN7EXAMPLE; mail=bob@example.org; ssn 078-05-1120",
  "déjà vu: 東京 € 😀",
];
export const SHARED_RAW: string[] = ["\xff\xfe", "a\xe2\x82b", "\xf0\x9f\x98\x80\xf0\x9f"];

/** The nine DLP patterns of examples/dlp.yaml (the production-practices set). */
export const DLP_PATTERNS = [
  "\\b(AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\\b",
  "\\b(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\\b",
  "(?i)\\b(api[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token)\\b[\"']?\\s*[:=]\\s*[\"']?[A-Za-z0-9_./+=-]{16,}",
  "-----BEGIN ((RSA|DSA|EC|OPENSSH|PGP|ENCRYPTED) )?PRIVATE KEY( BLOCK)?-----",
  "\\bxox[abposr]-[0-9A-Za-z-]{10,}",
  "\\b[rs]k_(live|test)_[0-9A-Za-z]{24,}",
  "\\beyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]*",
  "[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}",
  "\\b([0-9]{4}[- ]?){3}[0-9]{4}\\b",
];
