//! Multiclass labels: whatever numbers a file uses for its classes (0-9, 1-7, -1/0/1, ...)
//! become the class indices 0..C-1 the multinomial loss reads, and the mapping is kept so the
//! run directory can say which file label each class is.
//!
//! Classes are the distinct labels of all of a problem's files together, in increasing order,
//! so every file maps a label the same way and a label that only the validation or test file
//! holds is still a class (its weights are simply never pushed by the lower level). Labels
//! that are already 0..C-1 map to themselves.
use crate::data::Dataset;
use crate::error::{Result, SboError};

/// The distinct labels of `files` (a dataset and the config field it came from), ascending.
/// Errors, naming the field: a non-finite label, or more than `max` classes (with the count,
/// which usually means a regression target was given to a classifier).
pub fn class_labels(files: &[(&Dataset, &str)], max: usize) -> Result<Vec<f32>> {
    let mut labels: Vec<f32> = Vec::new();
    for (data, field) in files {
        for &l in &data.labels {
            if !l.is_finite() {
                return Err(SboError::config(
                    *field,
                    format!("label {l} is not a finite number"),
                ));
            }
        }
        labels.extend_from_slice(&data.labels);
        labels.sort_by(f32::total_cmp);
        labels.dedup();
        if labels.len() > max {
            return Err(SboError::config(
                *field,
                format!(
                    "the labels take more than {max} distinct values (the most classes a \
                     multinomial problem may have): are they classes?"
                ),
            ));
        }
    }
    Ok(labels)
}

/// Replaces every label of `data` by its class index in `classes` (from [`class_labels`]).
/// Errors, naming `field`, on a label that is not one of them.
pub fn map_to_classes(data: &mut Dataset, classes: &[f32], field: &str) -> Result<()> {
    for l in data.labels.iter_mut() {
        let c = classes
            .binary_search_by(|c| c.total_cmp(l))
            .map_err(|_| SboError::config(field, format!("label {l} is not one of the classes")))?;
        *l = c as f32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(labels: &[f32]) -> Dataset {
        Dataset::new(1, vec![0.0; labels.len()], labels.to_vec()).expect("dims")
    }

    #[test]
    fn classes_are_the_sorted_union_of_every_file() {
        let mut train = labelled(&[7.0, 1.0, 1.0, -3.0]);
        let mut test = labelled(&[1.0, 9.5]);
        let classes =
            class_labels(&[(&train, "data.train"), (&test, "data.test")], 10).expect("classes");
        assert_eq!(classes, [-3.0, 1.0, 7.0, 9.5]);
        map_to_classes(&mut train, &classes, "data.train").expect("maps");
        map_to_classes(&mut test, &classes, "data.test").expect("maps");
        assert_eq!(train.labels, [2.0, 1.0, 1.0, 0.0]);
        assert_eq!(test.labels, [1.0, 3.0]);
        // 0..C-1 labels are their own classes.
        let mut digits = labelled(&[3.0, 0.0, 2.0, 1.0]);
        let c = class_labels(&[(&digits, "data.train")], 10).expect("classes");
        map_to_classes(&mut digits, &c, "data.train").expect("maps");
        assert_eq!(digits.labels, [3.0, 0.0, 2.0, 1.0]);
    }

    #[test]
    fn bad_labels_are_refused_by_field() {
        let e = class_labels(&[(&labelled(&[1.0, f32::NAN]), "data.test")], 10).unwrap_err();
        assert!(e.to_string().contains("data.test"), "{e}");
        let many: Vec<f32> = (0..20).map(|i| i as f32 * 0.5).collect();
        let e = class_labels(&[(&labelled(&many), "data.train")], 10).unwrap_err();
        assert!(e.to_string().contains("more than 10"), "{e}");
        let e = map_to_classes(&mut labelled(&[4.0]), &[1.0, 2.0], "data.pool").unwrap_err();
        assert!(e.to_string().contains("data.pool"), "{e}");
    }
}
