"""runtime.identity: memoized by the very objects, never by equal ones."""
from runtime.identity import MISSING, IdentityMemo


def test_a_hit_is_the_very_objects_and_a_bound_empties_the_memo():
    memo = IdentityMemo(bound=2)
    a, b, equal_a = [1], [2], [1]
    assert memo.get(a, b) is MISSING
    assert memo.put("ab", a, b) == "ab" and memo.get(a, b) == "ab"
    assert memo.get(equal_a, b) is MISSING and memo.get(b, a) is MISSING and memo.get(a) is MISSING
    memo.put("a", a)
    memo.put("b", b)  # a third entry: the memo starts over
    assert memo.get(a, b) is MISSING and memo.get(b) == "b"
