//! The standalone wrapper (feature `standalone`): `moodtap-standalone
//! --backend dummy` opens the editor without an audio device (screenshots).

fn main() {
    nice_plug::prelude::nice_export_standalone::<moodtap_plugin::Moodtap>();
}
