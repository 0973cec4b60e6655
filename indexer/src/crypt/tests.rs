use super::*;

fn key() -> DataKey {
    DataKey::generate().unwrap()
}

#[test]
fn each_cipher_round_trips_with_a_fresh_nonce_per_value() {
    for cipher in [Cipher::Sm4Gcm, Cipher::Aes256Gcm] {
        let k = key();
        let v = Vault::sealed(&k, cipher);
        for plain in ["13812348000", "张伟", "zhang.wei@example.com", ""] {
            let a = v.seal("contact_phone", plain);
            let b = v.seal("contact_phone", plain);
            assert_ne!(
                a, b,
                "{cipher}: two seals of one value differ (random nonce)"
            );
            assert!(is_sealed(&a), "{a}");
            assert!(!a.contains(plain) || plain.is_empty());
            let letter = if cipher == Cipher::Sm4Gcm {
                "$s1."
            } else {
                "$a1."
            };
            assert!(a.starts_with(&format!("{letter}{}.", &k.id()[..8])), "{a}");
            assert_eq!(v.open("contact_phone", &a).unwrap(), plain);
        }
    }
}

#[test]
fn a_wrong_key_a_moved_value_and_a_damaged_value_are_refused() {
    let (k1, k2) = (key(), key());
    let v1 = Vault::sealed(&k1, Cipher::Sm4Gcm);
    let v2 = Vault::sealed(&k2, Cipher::Sm4Gcm);
    let sealed = v1.seal("contact_phone", "13812348000");
    let e = v2.open("contact_phone", &sealed).unwrap_err().to_string();
    assert!(e.contains("sealed with key"), "{e}");
    // The field is associated data: a phone moved into the e-mail column does not open.
    let e = v1.open("email", &sealed).unwrap_err().to_string();
    assert!(e.contains("damaged"), "{e}");
    let mut bad = sealed.clone();
    bad.pop();
    bad.push(if sealed.ends_with('A') { 'B' } else { 'A' });
    assert!(v1.open("contact_phone", &bad).is_err());
    let aes = Vault::sealed(&k1, Cipher::Aes256Gcm);
    assert!(
        aes.open("contact_phone", &sealed)
            .unwrap_err()
            .to_string()
            .contains("cipher")
    );
    // Without a key, sealed values are an error, plain ones pass.
    assert!(Vault::plain().open("contact_phone", &sealed).is_err());
    assert_eq!(
        Vault::plain().open("contact_phone", "13812348000").unwrap(),
        "13812348000"
    );
    assert_eq!(
        v1.open("contact_phone", "13812348000").unwrap(),
        "13812348000"
    );
}

#[test]
fn lookups_normalise_like_ingest_and_depend_on_the_key() {
    let v = Vault::sealed(&key(), Cipher::Sm4Gcm);
    let h = v.lookup("contact_phone", "13812348000").unwrap();
    assert_eq!(h.len(), 32);
    for same in [
        "138-1234-8000",
        "+86 138 1234 8000",
        "１３８１２３４８０００",
    ] {
        assert_eq!(v.lookup("contact_phone", same).unwrap(), h, "{same}");
    }
    assert_ne!(v.lookup("contact_phone", "13812348001").unwrap(), h);
    assert_ne!(
        v.lookup("email", "13812348000").unwrap(),
        h,
        "fields hash apart"
    );
    assert_ne!(
        Vault::sealed(&key(), Cipher::Sm4Gcm)
            .lookup("contact_phone", "13812348000")
            .unwrap(),
        h
    );
    assert_eq!(
        v.lookup("email", " Zhang.Wei@Example.com").unwrap(),
        v.lookup("email", "zhang.wei@example.com").unwrap()
    );
    assert_eq!(
        v.lookup("contact_name", "張 偉"),
        v.lookup("contact_name", "张伟")
    );
    assert_eq!(v.lookup("contact_phone", " - "), None);
}

#[test]
fn reports_mask_contacts() {
    assert_eq!(mask("contact_phone", "13812348000"), "138****8000");
    assert_eq!(mask("contact_phone", "1381234"), "*******");
    assert_eq!(mask("email", "zhang.wei@example.com"), "z***@example.com");
    assert_eq!(mask("contact_name", "欧阳娜娜"), "欧***");
}

#[test]
fn ciphers_parse_by_their_names() {
    assert_eq!("SM4".parse::<Cipher>().unwrap(), Cipher::Sm4Gcm);
    assert_eq!("aes-256-gcm".parse::<Cipher>().unwrap(), Cipher::Aes256Gcm);
    assert!("des".parse::<Cipher>().is_err());
}
