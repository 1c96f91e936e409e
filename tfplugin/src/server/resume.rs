//! Resuming an interrupted create, within Terraform's rules on tainted
//! objects.
//!
//! When a create fails after the remote object exists, the library saves
//! the partial state and Terraform marks the object *tainted*; its next
//! plan is always a replacement: delete the tainted object, then create a
//! new one. For a resource whose create can find and finish an object an
//! earlier attempt left behind ([`Resource::resumes_creates`]), destroying
//! a half-built network or database only to build it again is the wrong
//! answer. So the library hands the object over instead:
//!
//! 1. A failed create with partial state marks the private state
//!    *incomplete*.
//! 2. Planning the tainted object (prior state set, configuration present)
//!    keeps the mark, unless the plan itself demands a replacement (a
//!    changed attribute that forces one): then the replacement is real.
//!    The plan carries a warning that says the object is resumed.
//! 3. Terraform plans the replacement's create with a null prior state and
//!    the previous planned private state: the mark becomes *handover*, and
//!    Terraform hands that private state to the delete half of the
//!    replacement.
//! 4. That delete removes the object from state without touching it; the
//!    create that follows finds the object (as it finds the object of any
//!    lost create) and finishes it.
//!
//! A destroy plans with no configuration, so it never hands over: removing
//! the resource, or `terraform destroy`, deletes the object as usual.
//!
//! [`Resource::resumes_creates`]: crate::resource::Resource::resumes_creates

use crate::diag::Diagnostic;
use crate::private::{Private, LIBRARY as NAMESPACE};

const INCOMPLETE: &str = "incomplete_create";
const HANDOVER: &str = "handover";

/// Step 1: a create failed, and its partial state is saved.
pub(crate) fn mark_incomplete(private: &mut Private) {
    private.remove_in(NAMESPACE, HANDOVER);
    private.set_in(NAMESPACE, INCOMPLETE, &true);
}

/// A finished create or update: nothing is pending any more.
pub(crate) fn clear(private: &mut Private) {
    private.remove_in(NAMESPACE, INCOMPLETE);
    private.remove_in(NAMESPACE, HANDOVER);
}

fn incomplete(private: &Private) -> bool {
    private.get_in::<bool>(NAMESPACE, INCOMPLETE) == Some(true)
}

/// Steps 2 and 3, on the planned private state. Returns the warning to
/// show when the plan resumes a create.
pub(crate) fn plan(
    private: &mut Private,
    type_name: &str,
    creating: bool,
    destroying: bool,
    replacement_required: bool,
) -> Option<Diagnostic> {
    private.remove_in(NAMESPACE, HANDOVER);
    if destroying || !incomplete(private) {
        return None;
    }
    if creating {
        private.remove_in(NAMESPACE, INCOMPLETE);
        private.set_in(NAMESPACE, HANDOVER, &true);
        return None;
    }
    if replacement_required {
        private.remove_in(NAMESPACE, INCOMPLETE);
        return None;
    }
    Some(Diagnostic::warning(
        "Resuming an interrupted create",
        format!(
            "The last create of this {type_name} failed part way, so Terraform marked it tainted and shows a replacement. \
             The existing object is not destroyed: the apply keeps it and finishes creating it."
        ),
    ))
}

/// Step 4: whether a delete is the first half of a handed-over replacement.
pub(crate) fn is_handover(private: &Private) -> bool {
    private.get_in::<bool>(NAMESPACE, HANDOVER) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tainted_replacement_hands_the_object_over() {
        let mut private = Private::default();
        mark_incomplete(&mut private);
        // Plan of the tainted object, then of its replacement's create.
        assert!(plan(&mut private, "t", false, false, false).is_some());
        assert!(plan(&mut private, "t", true, false, false).is_none());
        assert!(is_handover(&private));
    }

    #[test]
    fn a_real_replacement_or_a_destroy_does_not() {
        let mut private = Private::default();
        mark_incomplete(&mut private);
        assert!(plan(&mut private, "t", false, false, true).is_none());
        plan(&mut private, "t", true, false, false);
        assert!(!is_handover(&private));

        let mut private = Private::default();
        mark_incomplete(&mut private);
        plan(&mut private, "t", false, true, false);
        assert!(!is_handover(&private));

        let mut fresh = Private::default();
        plan(&mut fresh, "t", true, false, false);
        assert!(
            !is_handover(&fresh),
            "an ordinary create hands nothing over"
        );
    }
}
