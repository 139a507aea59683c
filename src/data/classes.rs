//! Multiclass labels: whatever numbers a file uses for its classes (0-9, 1-7, -1/0/1, ...)
//! become the class indices 0..C-1 the multinomial loss reads, and the mapping is kept so the
//! run directory can say which file label each class is.
//!
//! Classes are the distinct labels of all of a problem's files together, in increasing order,
//! so every file maps a label the same way and a label that only the validation or test file
//! holds is still a class (its weights are simply never pushed by the lower level). Labels
//! that are already 0..C-1 map to themselves.
//!
//! Named labels (a CSV label column of names such as `cat`, `dog`) work the same way with
//! [`name_classes`]: the classes are the distinct names of all of the files together, sorted
//! in byte order (or in the order `data.class_names` gives), and class c is the c-th of them.
use crate::data::Dataset;
use crate::error::{Result, SboError};
use std::collections::{BTreeSet, HashMap};

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

/// One file of a problem as read, for [`name_classes`].
pub struct NamedFile<'a> {
    pub data: &'a mut Dataset,
    /// Its label names, sorted, each label the index of its name
    /// ([`crate::data::csv::CsvTable::class_names`]); empty when its labels are numbers.
    pub names: &'a [String],
    /// The config field it came from (`data.train`, ...).
    pub field: &'a str,
}

/// Maps the named labels of a problem's files to classes shared by every file: returns the
/// class names (class c is `names[c]`) and leaves each file's labels the class indices
/// 0..C-1; `None` (nothing changed) when every file's labels are numbers.
///
/// The classes are the distinct names of all of the files together in byte order, or, given
/// `order` (`data.class_names`), that list: every name a file holds must be in it, and it may
/// list classes no file holds. At most `max` classes; `limit` says why (it ends the error).
///
/// Errors ([`SboError::Config`]), naming the field: a file with numeric labels beside one
/// with names; together more than `max` names (the field of the file that brings the names
/// past `max`, with the count); `order` given for numeric labels, holding a name twice or
/// more than `max` names (`data.class_names`), or missing a name a file holds.
pub fn name_classes(
    files: &mut [NamedFile],
    order: Option<&[String]>,
    max: usize,
    limit: &str,
) -> Result<Option<Vec<String>>> {
    let Some(named) = files.iter().find(|f| !f.names.is_empty()) else {
        if order.is_some() {
            return Err(SboError::config(
                "data.class_names",
                "the data files' labels are numbers: class names apply to a CSV label column \
                 that holds names",
            ));
        }
        return Ok(None);
    };
    let named_field = named.field.to_string();
    if let Some(numeric) = files.iter().find(|f| f.names.is_empty()) {
        return Err(SboError::config(
            numeric.field,
            format!(
                "its labels are numbers but those of {named_field} are names: every file of a \
                 problem must write its classes the same way"
            ),
        ));
    }
    let classes: Vec<String> = match order {
        Some(order) => {
            if order.len() > max {
                return Err(SboError::config(
                    "data.class_names",
                    format!("{} names, more than {max}: {limit}", order.len()),
                ));
            }
            let mut seen = BTreeSet::new();
            if let Some(twice) = order.iter().find(|n| !seen.insert(n.as_str())) {
                return Err(SboError::config(
                    "data.class_names",
                    format!("`{twice}` is listed twice"),
                ));
            }
            order.to_vec()
        }
        None => {
            let mut union: BTreeSet<&str> = BTreeSet::new();
            for f in files.iter() {
                union.extend(f.names.iter().map(String::as_str));
                if union.len() > max {
                    return Err(SboError::config(
                        f.field,
                        format!(
                            "with this file the data files name {} distinct classes, more \
                             than {max}: {limit}",
                            union.len()
                        ),
                    ));
                }
            }
            union.into_iter().map(str::to_string).collect()
        }
    };
    let index: HashMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(c, n)| (n.as_str(), c))
        .collect();
    for f in files.iter_mut() {
        let mut to_class = Vec::with_capacity(f.names.len());
        for name in f.names {
            match index.get(name.as_str()) {
                Some(&c) => to_class.push(c as f32),
                None => {
                    return Err(SboError::config(
                        f.field,
                        format!("label `{name}` is not one of data.class_names"),
                    ))
                }
            }
        }
        for l in f.data.labels.iter_mut() {
            *l = to_class
                .get(*l as usize)
                .copied()
                .ok_or_else(|| SboError::Engine {
                    msg: format!(
                        "{}: label {l} is not the index of one of its names",
                        f.field
                    ),
                })?;
        }
    }
    Ok(Some(classes))
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

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// Each file's labels index its own sorted names, as the CSV reader leaves them.
    #[test]
    fn named_files_map_to_one_set_of_classes() {
        let (tn, vn, pn) = (
            strings(&["cat", "dog"]),
            strings(&["bird", "dog"]),
            strings(&["emu"]),
        );
        let mut train = labelled(&[1.0, 0.0, 0.0]); // dog cat cat
        let mut val = labelled(&[0.0, 1.0]); // bird dog
        let mut pool = labelled(&[0.0]); // emu
        let names = name_classes(
            &mut [
                NamedFile {
                    data: &mut train,
                    names: &tn,
                    field: "data.train",
                },
                NamedFile {
                    data: &mut val,
                    names: &vn,
                    field: "data.validation",
                },
                NamedFile {
                    data: &mut pool,
                    names: &pn,
                    field: "data.pool",
                },
            ],
            None,
            256,
            "",
        )
        .expect("maps")
        .expect("names");
        assert_eq!(names, ["bird", "cat", "dog", "emu"]);
        assert_eq!(train.labels, [2.0, 1.0, 1.0]);
        assert_eq!(val.labels, [0.0, 2.0]);
        assert_eq!(pool.labels, [3.0]);

        // A given order: classes in that order, unused ones kept.
        let mut train = labelled(&[1.0, 0.0]);
        let order = strings(&["dog", "fish", "cat"]);
        let names = name_classes(
            &mut [NamedFile {
                data: &mut train,
                names: &tn,
                field: "data.train",
            }],
            Some(&order),
            256,
            "",
        )
        .expect("maps")
        .expect("names");
        assert_eq!(names, order);
        assert_eq!(train.labels, [0.0, 2.0]);

        // Numbers everywhere: nothing to do.
        let mut num = labelled(&[3.0, 1.0]);
        let none = name_classes(
            &mut [NamedFile {
                data: &mut num,
                names: &[],
                field: "data.train",
            }],
            None,
            256,
            "",
        )
        .expect("numbers");
        assert!(none.is_none());
        assert_eq!(num.labels, [3.0, 1.0]);
    }

    #[test]
    fn named_files_that_disagree_are_refused_by_field() {
        let field_of = |e: SboError| match e {
            SboError::Config { field, msg } => (field, msg),
            other => panic!("expected a config error, got {other:?}"),
        };
        let (tn, sn) = (strings(&["cat", "dog"]), strings(&["bird"]));
        let mut t = labelled(&[0.0, 1.0]);
        let mut s = labelled(&[0.0]);
        // Names beside numbers.
        let e = name_classes(
            &mut [
                NamedFile {
                    data: &mut t,
                    names: &tn,
                    field: "data.train",
                },
                NamedFile {
                    data: &mut s,
                    names: &[],
                    field: "data.test",
                },
            ],
            None,
            256,
            "",
        )
        .unwrap_err();
        let (field, msg) = field_of(e);
        assert_eq!(field, "data.test");
        assert!(msg.contains("data.train"), "{msg}");
        // Past the limit: the file that brings the third class.
        let e = name_classes(
            &mut [
                NamedFile {
                    data: &mut t,
                    names: &tn,
                    field: "data.train",
                },
                NamedFile {
                    data: &mut s,
                    names: &sn,
                    field: "data.test",
                },
            ],
            None,
            2,
            "logistic takes two",
        )
        .unwrap_err();
        let (field, msg) = field_of(e);
        assert_eq!(field, "data.test");
        assert!(
            msg.contains('3') && msg.contains("logistic takes two"),
            "{msg}"
        );
        // A given order that misses a name, repeats one, or meets numbers.
        let run = |order: &[&str], names: &[String]| {
            let order = strings(order);
            let mut t = labelled(&[0.0]);
            field_of(
                name_classes(
                    &mut [NamedFile {
                        data: &mut t,
                        names,
                        field: "data.train",
                    }],
                    Some(&order),
                    256,
                    "",
                )
                .unwrap_err(),
            )
        };
        let (field, msg) = run(&["cat"], &tn);
        assert_eq!(field, "data.train");
        assert!(msg.contains("`dog`"), "{msg}");
        assert_eq!(run(&["cat", "dog", "cat"], &tn).0, "data.class_names");
        assert_eq!(run(&["cat", "dog"], &[]).0, "data.class_names");
    }
}
