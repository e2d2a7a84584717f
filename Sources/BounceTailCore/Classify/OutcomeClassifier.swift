/// Classifies failed outcomes (issue 3 fills in the rules).
public final class OutcomeClassifier: Sendable {
    public static let shared = OutcomeClassifier()
    public func classify(_ o: DeliveryOutcome) -> Classification? { nil }
}
