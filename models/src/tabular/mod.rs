//! What the models learned from the store's own history share: the features of a customer
//! on a day (`features`), their encoding (`encode`), the two networks (`net`), fitting
//! (`fit`), the split, choice and calibration of one yes/no outcome (`select`,
//! `calibrate`), the measures (`metrics`), reasons by occlusion (`occlusion`), the saved
//! model (`model`) and the write of scores into the store (`write`). Each model (churn)
//! says what it predicts, for whom, and in which words.

pub mod calibrate;
pub mod encode;
pub mod features;
pub mod fit;
pub mod metrics;
pub mod model;
pub mod net;
pub mod occlusion;
pub mod rng;
pub mod select;
pub mod write;
