// invoker.properties builds the user's project twice (its own Logback configuration, then slf4j-simple);
// the invoker already failed the IT if either build failed. Here: both really ran their tests, each
// with the binding the user chose, and the log carries none of the warnings a library that imposes its
// logging or its service registrations would cause.
def log = new File(basedir, 'build.log').text

[
  'occurs multiple times on the classpath',   // Logback: a second logback.xml / logback-test.xml
  'multiple SLF4J providers',                 // SLF4J 2: two bindings
  'Class path contains multiple SLF4J',       // SLF4J 1 wording
  'No SLF4J providers were found',            // no binding at all
  'several implementations of',              // Vert.x launcher: two VertxServiceProviders of one SPI
].each { w -> assert !log.contains(w) : "the user's build log contains '${w}'" }

def summaries = log.readLines().findAll { it =~ /Tests run: \d+, Failures/ && !it.contains(' -- in ') }
assert summaries.size() == 2 : "expected two test runs (logback, slf4j-simple), saw ${summaries}"
summaries.each { s ->
  def m = (s =~ /Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)/)
  assert m.find() && (m.group(1) as int) >= 8 && m.group(2) == '0' && m.group(3) == '0' && m.group(4) == '0' : s
}
assert log.count('BUILD SUCCESS') == 2

// The first build logged through the user's logback-test.xml pattern, the second through slf4j-simple's.
def halves = log.split(/Building prices/)
assert halves.size() == 3
assert halves[1].contains('acme-test INFO  c.a.PricesVerticle') : "build 1 did not use the user's logback-test.xml"
assert halves[2].contains('] INFO com.acme.PricesVerticle') : "build 2 did not log through slf4j-simple"
return true
