/// The config a drill runs with. Everything that reaches out (both nodes, the PVE hosts,
/// every token, the remote shell, the webhook) is the lab's; only what stays on this
/// machine comes from the operator's config: the journal (`state-dir`), the runbook files,
/// `[drills] max-age` and the pair's name. So a drill rehearses the pair's own runbooks,
/// the pair's dashboard learns when they were last rehearsed, and no action can reach a
/// host of the pair.
public enum DrillConfig {
    public static func merge(lab: PairConfig, given: PairConfig?) -> PairConfig {
        guard let given else { return lab }
        var merged = lab
        merged.name = given.name
        merged.stateDir = given.stateDir
        merged.runbookFiles = given.runbookFiles
        merged.drillMaxAgeSeconds = given.drillMaxAgeSeconds
        return merged
    }
}
