//! Resuming an interrupted create, within Terraform's rules on tainted
//! objects.
//!
//! When a create fails after the remote object exists, the library saves
//! the partial state and Terraform marks the object *tainted*. Its next
//! plan treats the tainted object as absent: Terraform plans a create (no
//! prior state, no prior private state), then turns that change into a
//! replacement, and at apply deletes the tainted object — handing that
//! delete the create plan's planned private state — before creating anew.
//!
//! For a resource whose create finds and finishes an object an earlier
//! attempt left behind ([`Resource::resumes_creates`]), destroying a
//! half-built network or database only to build it again is the wrong
//! answer. So:
//!
//! 1. a plan from a prior state (an update, a destroy, or the first of the
//!    two plans of a replacement that a changed attribute forces) marks its
//!    planned private state *from prior*;
//! 2. a create plan marks *create planned* — unless its prior private state
//!    says *from prior* (the second plan of a forced replacement);
//! 3. a delete whose planned private state says *create planned* can only
//!    be the first half of a tainted object's replacement: it removes the
//!    object from state without touching it, and the create that follows
//!    finds the object (as it finds the object of any lost create) and
//!    finishes it.
//!
//! A destroy plans from the prior state, so it never hands over: removing
//! the resource, or `terraform destroy`, deletes the object as usual. Nor
//! does `terraform apply -replace=ADDR` on an object that is not tainted:
//! its first plan is from the prior state. A tainted object that cannot be
//! finished ([`Resource::resumable`] says `false`: a create left it failed)
//! is deleted and created anew.
//!
//! [`Resource::resumes_creates`]: crate::resource::Resource::resumes_creates
//! [`Resource::resumable`]: crate::resource::Resource::resumable

use crate::diag::Diagnostic;
use crate::private::{Private, LIBRARY as NAMESPACE};

const FROM_PRIOR: &str = "planned_from_prior";
const CREATE_PLANNED: &str = "create_planned";

/// A finished create or update: nothing is pending any more.
pub(crate) fn clear(private: &mut Private) {
    private.remove_in(NAMESPACE, FROM_PRIOR);
    private.remove_in(NAMESPACE, CREATE_PLANNED);
}

/// Steps 1 and 2, on the planned private state of a plan; `creating`: it
/// has no prior state.
pub(crate) fn plan(private: &mut Private, creating: bool) {
    let forced = private.get_in::<bool>(NAMESPACE, FROM_PRIOR) == Some(true);
    clear(private);
    match (creating, forced) {
        (false, _) => private.set_in(NAMESPACE, FROM_PRIOR, &true),
        (true, false) => private.set_in(NAMESPACE, CREATE_PLANNED, &true),
        (true, true) => {}
    }
}

/// Step 3: whether a delete is the first half of a tainted object's
/// replacement.
pub(crate) fn is_handover(private: &Private) -> bool {
    private.get_in::<bool>(NAMESPACE, CREATE_PLANNED) == Some(true)
}

/// What the apply says when it hands an object over.
pub(crate) fn handover_note(type_name: &str) -> Diagnostic {
    Diagnostic::warning(
        "Resuming an interrupted create",
        format!(
            "This {type_name} was tainted by a create that failed part way. Rather than destroy what exists and build it again, \
             the replacement keeps it: the create finishes the same object. To replace it instead, run terraform untaint ADDRESS, \
             then terraform apply -replace=ADDRESS."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tainted_objects_replacement_hands_it_over() {
        // Terraform plans a tainted object as a create, then deletes it
        // with that plan's private state.
        let mut private = Private::default();
        plan(&mut private, true);
        assert!(is_handover(&private));
    }

    #[test]
    fn a_replacement_forced_by_a_change_or_a_destroy_does_not() {
        // Planned from the prior state, then the replacement's create with
        // the first plan's private state.
        let mut private = Private::default();
        plan(&mut private, false);
        plan(&mut private, true);
        assert!(!is_handover(&private));
        // A destroy plans from the prior state.
        let mut private = Private::default();
        plan(&mut private, false);
        assert!(!is_handover(&private));
    }
}
