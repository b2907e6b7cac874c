import Foundation
import Testing

@Suite struct ReproduceCLITests {
    @Test func reproduceConfirmsAnHonestRun() throws {
        let s = Scratch()
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("run"), "-q"], environment: s.env).status == 0)
        let r = try CLI.run(["validate", "--reproduce", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("evidence valid; verdict PASS"))
        #expect(s.leftovers.isEmpty)
    }
}
